package api

// POST /api/v1/exchange-accounts/{id}/sync: one sync now, answered with the
// account once it has finished or failed (its sync state tells which).

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/cluster"
	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/store"
)

// The scheduler is what the daemon passes as Deps.Syncer, behind the
// cluster's router on a host sharing a PostgreSQL store.
var (
	_ Syncer = (*scheduler.Scheduler)(nil)
	_ Syncer = (*cluster.Syncer)(nil)
)

// Error codes of this route; like those of errors.go, never renamed.
const (
	codeAccountInactive = "account_inactive"
	codeSyncUnavailable = "sync_unavailable"
)

// registerSync is called by registerDashboard: the route shares its
// cache, which a manual sync clears.
func registerSync(d *dashboard, r routes) {
	r.authed.handle(http.MethodPost, "/exchange-accounts/:id/sync", op{id: "syncAccount", tag: "exchange-accounts",
		summary: "Sync an account now; answers once the sync has finished or failed",
		desc: "The account's sync object tells the outcome. The dashboard shows the new snapshot at once. " +
			"On a host sharing a PostgreSQL store, an account another host holds is synced by that host, " +
			"and the answer waits for its outcome.",
		res: []res{
			{http.StatusOK, "The account after the sync.", accountView{}},
			accountNotFound,
			{http.StatusConflict, "The account is not active (account_inactive).", errBody},
			{http.StatusServiceUnavailable, "Syncing is not running or is stopping, or no host of the cluster " +
				"synced the account within the lease time (sync_unavailable).", errBody},
		},
	}, d.postSync)
}

func (d *dashboard) postSync(c *gin.Context) {
	h := d.handler
	a, ok := h.userAccount(c)
	if !ok {
		return
	}
	if h.d.Syncer == nil {
		writeError(c, http.StatusServiceUnavailable, codeSyncUnavailable, "syncing is not running")
		return
	}
	ctx := c.Request.Context()
	err := h.d.Syncer.SyncNow(ctx, a.ID)
	switch {
	case err == nil:
		d.snaps.forget(a.ID)
	case errors.Is(err, scheduler.ErrInactive):
		writeError(c, http.StatusConflict, codeAccountInactive, "the account is not active; activate it to sync it")
		return
	case errors.Is(err, store.ErrNotFound):
		writeError(c, http.StatusNotFound, codeNotFound, "no such exchange account")
		return
	case errors.Is(err, scheduler.ErrStopped):
		writeError(c, http.StatusServiceUnavailable, codeSyncUnavailable, "syncing is stopping; try again later")
		return
	case errors.Is(err, cluster.ErrNotSynced):
		writeError(c, http.StatusServiceUnavailable, codeSyncUnavailable,
			"no host of the cluster synced the account in time (it may be beyond every host's budget); try again later")
		return
	case ctx.Err() != nil:
		// The client left; nobody reads an answer.
		c.Abort()
		return
	default:
		h.internalError(c, "sync now", err)
		return
	}
	if a, ok = h.userAccount(c); !ok {
		return
	}
	if v, ok := h.viewOne(c, a); ok {
		c.JSON(http.StatusOK, v)
	}
}
