package api

import (
	"io"
	"net/http"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
)

func registerBackup(h *handler, r routes) {
	r.admin.handle(http.MethodGet, "/admin/backup", op{id: "backup", tag: "operations",
		summary: "Download a consistent copy of the database (admin)",
		desc: "A bbolt file, with Content-Length exact and Content-Disposition naming it " +
			"gahost-<UTC time>.db. Its secrets stay sealed with the master key: keep the key with the backup.",
		res: []res{{http.StatusOK, "The database file.", rawBody{"application/octet-stream",
			&openapi3.Schema{Type: &openapi3.Types{openapi3.TypeString}, Format: "binary"}}}},
	}, h.getBackup)
}

// getBackup streams a consistent copy of the database. Content-Length is
// exact, so a download cut short by an error is visibly incomplete.
func (h *handler) getBackup(c *gin.Context) {
	started := false
	err := h.d.Store.BackupTo(c.Request.Context(), func(size int64) (io.Writer, error) {
		name := "gahost-" + h.now().UTC().Format("20060102T150405Z") + ".db"
		c.Header("Content-Type", "application/octet-stream")
		c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
		c.Header("Content-Length", strconv.FormatInt(size, 10))
		c.Header("Cache-Control", "no-store")
		c.Status(http.StatusOK)
		started = true
		return c.Writer, nil
	})
	if err == nil {
		h.log.Info("backup downloaded", "user_id", currentUser(c).ID)
		return
	}
	if !started {
		h.internalError(c, "backup", err)
		return
	}
	h.log.Error("backup interrupted", "error", err)
	// Drop the connection so the client sees a short body, not a backup
	// that looks whole.
	panic(http.ErrAbortHandler)
}
