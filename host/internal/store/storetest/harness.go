// Package storetest is the conformance suite of store.Backend: every
// behaviour the host relies on, run against each backend (bbolt in package
// store's tests, PostgreSQL in package pgstore's), so that both keep the
// same semantics.
package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
)

// Harness is what the suite needs of a backend.
type Harness struct {
	// Open returns a new, empty store on the clock now; the harness
	// closes it when t ends.
	Open func(t *testing.T, now func() time.Time) store.Backend
	// RawSnapshot returns the stored JSON of an account's snapshot, as
	// the backend keeps it.
	RawSnapshot func(t *testing.T, b store.Backend, accountID string) []byte
	// WebhookLeftovers describes whatever the backend still keeps under
	// a webhook id or its token hash (records, index entries, alert
	// claims); empty when nothing.
	WebhookLeftovers func(t *testing.T, b store.Backend, w store.Webhook) []string
	// AddPoints writes history points directly, faster than a sync each;
	// nil writes them with PutSyncResult.
	AddPoints func(t *testing.T, b store.Backend, accountID string, pts []store.HistoryPoint)
}

// Run runs the whole suite against h's backend.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"SwappedCiphertextsDoNotOpen", testSwappedCiphertextsDoNotOpen},
		{"KeyCheck", testKeyCheck},
		{"ResealSkipsUnreadableAccounts", testResealSkipsUnreadableAccounts},
		{"UsersAndTokens", testUsersAndTokens},
		{"CreateFirstUser", testCreateFirstUser},
		{"EditAccounts", testEditAccounts},
		{"Ownership", testOwnership},
		{"PutSyncResultKeepsLastGoodParts", testPutSyncResultKeepsLastGoodParts},
		{"PutSyncResultConcurrentAndDeleted", testPutSyncResultConcurrentAndDeleted},
		{"HistoryRange", testHistoryRange},
		{"PruneHistory", testPruneHistory},
		{"NewerPartAlwaysWins", testNewerPartAlwaysWins},
		{"StaleKeysWriteNothing", testStaleKeysWriteNothing},
		{"DeleteUserTakesEverything", testDeleteUserTakesEverything},
		{"AccountPages", testAccountPages},
		{"UserPages", testUserPages},
		{"TokensListedAndDeleted", testTokensListedAndDeleted},
		{"WebhookCreateAndLookup", testWebhookCreateAndLookup},
		{"WebhookOwnership", testWebhookOwnership},
		{"WebhookQuota", testWebhookQuota},
		{"WebhookUpdateSwapsTokenAndAborts", testWebhookUpdateSwapsTokenAndAborts},
		{"RecordDeliveryClaimsAlertIDOnceUnderConcurrency", testRecordDeliveryClaimsAlertIDOnceUnderConcurrency},
		{"FinishDelivery", testFinishDelivery},
		{"DeliveriesArePrunedAndListedNewestFirst", testDeliveriesArePrunedAndListedNewestFirst},
		{"DeliveryPages", testDeliveryPages},
		{"DeleteWebhookRemovesEverything", testDeleteWebhookRemovesEverything},
		{"DeleteAccountDeletesItsWebhooks", testDeleteAccountDeletesItsWebhooks},
		{"ResealCoversWebhooks", testResealCoversWebhooks},
		{"CountSealed", testCountSealed},
		{"DumpAndLoad", testDumpAndLoad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, h) })
	}
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	h     Harness
	st    store.Backend
	key   *secrets.Key
	clock *clock
	ctx   context.Context
}

func newFixture(t *testing.T, h Harness) *fixture {
	t.Helper()
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	st := h.Open(t, c.now)
	k, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.InitKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	return &fixture{h: h, st: st, key: k, clock: c, ctx: context.Background()}
}

// rewrite changes a stored account as it is, through EditAccounts, the way
// someone with write access to the database might.
func (f *fixture) rewrite(t *testing.T, id string, fn func(a *store.Account)) {
	t.Helper()
	a, err := f.st.Account(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	fn(&a)
	if err := f.st.EditAccounts(f.ctx, a.UserID, func([]store.Account) (store.AccountChange, error) {
		return store.AccountChange{Put: []store.Account{a}}, nil
	}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) addPoints(t *testing.T, accountID string, pts []store.HistoryPoint) {
	t.Helper()
	if f.h.AddPoints != nil {
		f.h.AddPoints(t, f.st, accountID, pts)
		return
	}
	for _, p := range pts {
		err := f.st.PutSyncResult(f.ctx, accountID, store.SyncResult{Started: p.At, Point: fixedPoint(p),
			State: store.SyncState{Status: store.SyncOK}})
		if err != nil {
			t.Fatal(err)
		}
	}
}
