package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
)

// Tests of behaviours the bbolt suite checked only through its internals,
// or not at all; here every backend must show them through its methods.

// assertGone checks that nothing of w is left: its token, its place in its
// user's list, its records, deliveries and claims.
func (f *fixture) assertGone(t *testing.T, w store.Webhook, c hookCreds) {
	t.Helper()
	if _, err := f.byToken(c.Token); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("token still works: %v", err)
	}
	if _, err := f.st.UserWebhook(f.ctx, w.UserID, w.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("webhook still there: %v", err)
	}
	list, err := f.st.ListWebhooks(f.ctx, w.UserID)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range list {
		if x.ID == w.ID {
			t.Fatal("the user's list still holds it")
		}
	}
	err = f.st.Dump(f.ctx, func(r store.Record) error {
		if (r.Webhook != nil && r.Webhook.ID == w.ID) || (r.Delivery != nil && r.Delivery.WebhookID == w.ID) {
			return fmt.Errorf("a %s record of the webhook is left", r.Kind())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.h.WebhookLeftovers != nil {
		if left := f.h.WebhookLeftovers(t, f.st, w); len(left) > 0 {
			t.Fatalf("left behind: %v", left)
		}
	}
}

func testPruneHistory(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u := f.user(t, "u")
	a, b := f.account(t, u.ID, "a", false), f.account(t, u.ID, "b", false)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	// One point every 20 minutes for 3 days back.
	var pts []store.HistoryPoint
	for at := now.Add(-72 * time.Hour); !at.After(now); at = at.Add(20 * time.Minute) {
		pts = append(pts, store.HistoryPoint{At: at})
	}
	for _, id := range []string{a.ID, b.ID} {
		f.addPoints(t, id, pts)
	}
	keepAll, hourlyFor := 6*time.Hour, 48*time.Hour
	n, err := f.st.PruneHistory(f.ctx, now, keepAll, hourlyFor)
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for _, id := range []string{a.ID, b.ID} {
		pts, _ := f.st.History(f.ctx, id, time.Time{}, time.Time{})
		kept += len(pts)
		hours := map[time.Time]int{}
		recent := 0
		for _, p := range pts {
			age := now.Sub(p.At)
			switch {
			case age >= hourlyFor:
				t.Fatalf("point %v older than hourlyFor kept", p.At)
			case age < keepAll:
				recent++
			default:
				hours[p.At.Truncate(time.Hour)]++
			}
		}
		if recent != 18 { // 6h at 3 per hour
			t.Fatalf("recent points = %d, want 18", recent)
		}
		for h, c := range hours {
			if c != 1 {
				t.Fatalf("hour %v keeps %d points", h, c)
			}
		}
		// Ages in [6h, 48h): from 12:20 two days ago up to 06:00 today,
		// which touches 12+24+7 clock hours.
		if len(hours) != 43 {
			t.Fatalf("hourly points = %d, want 43", len(hours))
		}
	}
	if n+kept != 2*len(pts) {
		t.Fatalf("pruned %d and kept %d of %d", n, kept, 2*len(pts))
	}
	if again, _ := f.st.PruneHistory(f.ctx, now, keepAll, hourlyFor); again != 0 {
		t.Fatalf("second prune deleted %d", again)
	}
}

func testUserPages(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	var want []string
	for _, n := range []string{"a", "b", "c"} {
		want = append(want, f.user(t, n).ID)
	}
	p1, next, err := f.st.ListUsers(f.ctx, "", 2)
	if err != nil || len(p1) != 2 || p1[0].ID != want[0] || p1[1].ID != want[1] || next != want[1] {
		t.Fatalf("page 1: %d %q %v", len(p1), next, err)
	}
	p2, next, err := f.st.ListUsers(f.ctx, next, 2)
	if err != nil || len(p2) != 1 || p2[0].ID != want[2] || next != "" {
		t.Fatalf("page 2: %d %q %v", len(p2), next, err)
	}
	// UpdateUser sees the others and keeps the id and name.
	got, err := f.st.UpdateUser(f.ctx, want[0], func(u *store.User, others []store.User) error {
		if len(others) != 2 {
			return fmt.Errorf("%d others", len(others))
		}
		u.Disabled, u.Username, u.ID = true, "renamed", "other-id"
		return nil
	})
	if err != nil || !got.Disabled || got.Username != "a" || got.ID != want[0] {
		t.Fatalf("UpdateUser = %+v, %v", got, err)
	}
	if back, _ := f.st.User(f.ctx, want[0]); !back.Disabled || back.Username != "a" {
		t.Fatalf("stored %+v", back)
	}
	boom := errors.New("boom")
	if _, err := f.st.UpdateUser(f.ctx, want[1], func(u *store.User, _ []store.User) error {
		u.Disabled = true
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failing edit: %v", err)
	}
	if back, _ := f.st.User(f.ctx, want[1]); back.Disabled {
		t.Fatal("an aborted edit was written")
	}
	if _, err := f.st.UpdateUser(f.ctx, "nobody", func(*store.User, []store.User) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing user: %v", err)
	}
}

func testTokensListedAndDeleted(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u, _ := f.userWithToken(t, "u")
	v, vToken := f.userWithToken(t, "v")
	_, hash, _ := secrets.NewToken()
	id, err := f.st.AddAPIToken(f.ctx, u.ID, hash)
	if err != nil || id == "" {
		t.Fatalf("AddAPIToken = %q, %v", id, err)
	}
	if _, err := f.st.AddAPIToken(f.ctx, "nobody", hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("token of a missing user: %v", err)
	}
	_, lhash, _ := secrets.NewToken()
	exp := f.clock.now().Add(time.Hour)
	f.clock.add(time.Second)
	if err := f.st.AddLoginToken(f.ctx, u.ID, lhash, exp); err != nil {
		t.Fatal(err)
	}
	list, err := f.st.ListTokens(f.ctx, u.ID)
	if err != nil || len(list) != 3 {
		t.Fatalf("ListTokens = %d, %v", len(list), err)
	}
	if list[0].Kind != store.TokenAPI || list[1].ID != id || list[2].Kind != store.TokenLogin || !list[2].ExpiresAt.Equal(exp) {
		t.Fatalf("tokens not oldest first: %+v", list)
	}
	_, tok, err := f.st.Session(f.ctx, hash)
	if err != nil || tok.ID != id || tok.Kind != store.TokenAPI {
		t.Fatalf("Session = %+v, %v", tok, err)
	}
	n, err := f.st.DeleteTokens(f.ctx, u.ID, func(tk store.Token) bool { return tk.Kind == store.TokenLogin || tk.ID == id })
	if err != nil || n != 2 {
		t.Fatalf("DeleteTokens = %d, %v", n, err)
	}
	if _, _, err := f.st.Session(f.ctx, hash); !errors.Is(err, store.ErrInvalidToken) {
		t.Fatalf("deleted token: %v", err)
	}
	if left, _ := f.st.ListTokens(f.ctx, u.ID); len(left) != 1 {
		t.Fatalf("%d tokens left", len(left))
	}
	if got, _, err := f.st.Session(f.ctx, secrets.HashToken(vToken)); err != nil || got.ID != v.ID {
		t.Fatalf("another user's token: %v", err)
	}
}

func testWebhookQuota(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u := f.user(t, "u")
	acct := f.account(t, u.ID, "a", false)
	mk := func() store.Webhook {
		w, _ := f.webhookValue(t, u.ID, acct.ID)
		return w
	}
	for range 2 {
		if err := f.st.CreateWebhookWithin(f.ctx, mk(), 2); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.st.CreateWebhookWithin(f.ctx, mk(), 2); !errors.Is(err, store.ErrQuota) {
		t.Fatalf("third webhook of 2: %v", err)
	}
	if list, _ := f.st.ListWebhooks(f.ctx, u.ID); len(list) != 2 {
		t.Fatalf("%d webhooks", len(list))
	}
	w := mk()
	w.AccountID = "nope"
	if err := f.st.CreateWebhookWithin(f.ctx, w, 0); !errors.Is(err, store.ErrAccountNotFound) {
		t.Fatalf("webhook on a missing account: %v", err)
	}
}

func testDeliveryPages(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u := f.user(t, "u")
	w, _ := f.webhook(t, u.ID, f.account(t, u.ID, "a", false).ID)
	base := f.clock.now()
	var all []store.Delivery
	for i := range 7 {
		d := delivery(w, fmt.Sprint("alert-", i), base.Add(time.Duration(i)*time.Second))
		if i%2 == 1 {
			d.Status = store.DeliveryRejected
		}
		got, _, err := f.st.RecordDelivery(f.ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, got)
	}
	odd := func(d store.Delivery) bool { return d.Status == store.DeliveryRejected }
	var seen []string
	cursor := ""
	for range 10 {
		page, next, err := f.st.DeliveryPage(f.ctx, u.ID, w.ID, store.DeliveryQuery{Limit: 2, Cursor: cursor, Match: odd})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page {
			seen = append(seen, d.AlertID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if fmt.Sprint(seen) != "[alert-5 alert-3 alert-1]" {
		t.Fatalf("pages = %v", seen)
	}
	if _, _, err := f.st.DeliveryPage(f.ctx, u.ID, w.ID, store.DeliveryQuery{Cursor: "!!"}); !errors.Is(err, store.ErrBadCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
	got, err := f.st.WebhookDelivery(f.ctx, w.ID, all[3].ReceivedAt, all[3].ID)
	if err != nil || got.AlertID != "alert-3" {
		t.Fatalf("WebhookDelivery = %+v, %v", got, err)
	}
	if _, err := f.st.WebhookDelivery(f.ctx, w.ID, all[3].ReceivedAt.Add(1), all[3].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("WebhookDelivery at another time: %v", err)
	}
}

func testCountSealed(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u := f.user(t, "u")
	acct := f.account(t, u.ID, "a", false)
	f.webhook(t, u.ID, acct.ID)
	counts, err := f.st.CountSealed(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Three account fields, one webhook secret, the key check.
	if len(counts) != 1 || counts[f.key.ID()] != 5 {
		t.Fatalf("counts %v", counts)
	}
}

// testDumpAndLoad copies a store with everything in it into a new one of
// the same backend, and checks what the copy answers.
func testDumpAndLoad(t *testing.T, hs Harness) {
	f := newFixture(t, hs)
	u, token := f.userWithToken(t, "u")
	acct := f.account(t, u.ID, "a", true)
	at := f.clock.now()
	if err := f.st.PutSyncResult(f.ctx, acct.ID, syncOf(at, "5")); err != nil {
		t.Fatal(err)
	}
	w, c := f.webhook(t, u.ID, acct.ID)
	first, _, err := f.st.RecordDelivery(f.ctx, delivery(w, "alert-1", at))
	if err != nil {
		t.Fatal(err)
	}
	dst := hs.Open(t, f.clock.now)
	counts, err := store.Copy(f.ctx, f.st, dst)
	if err != nil {
		t.Fatal(err)
	}
	want := store.Counts{"key_check": 1, "users": 1, "tokens": 1, "accounts": 1, "snapshots": 1, "history": 1, "webhooks": 1, "deliveries": 1}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Fatalf("copied %v, want %v", counts, want)
	}
	if err := dst.CheckKey(f.ctx, f.key); err != nil {
		t.Fatal(err)
	}
	if got, _, err := dst.Session(f.ctx, secrets.HashToken(token)); err != nil || got.ID != u.ID {
		t.Fatalf("token in the copy: %v", err)
	}
	if got, err := dst.UserAccount(f.ctx, u.ID, acct.ID); err != nil || !got.IsMain || got.Sync.Status != store.SyncOK {
		t.Fatalf("account in the copy: %+v %v", got, err)
	}
	if pts, _ := dst.History(f.ctx, acct.ID, time.Time{}, time.Time{}); len(pts) != 1 {
		t.Fatalf("history in the copy: %d", len(pts))
	}
	if got, err := dst.WebhookByTokenHash(f.ctx, secrets.HashToken(c.Token)); err != nil || got.ID != w.ID {
		t.Fatalf("webhook in the copy: %v", err)
	}
	// The alert id stays claimed in the copy.
	_, dup, err := dst.RecordDelivery(f.ctx, delivery(w, "alert-1", at.Add(time.Second)))
	if err != nil || dup == nil || dup.ID != first.ID {
		t.Fatalf("alert claim in the copy: %+v %v", dup, err)
	}
	// A store with data refuses a load.
	if _, err := store.Copy(f.ctx, f.st, dst); !errors.Is(err, store.ErrNotEmpty) {
		t.Fatalf("copy into a used store: %v", err)
	}
	// A dump cut short by its reader ends with the reader's error.
	stop := errors.New("stop")
	n := 0
	err = f.st.Dump(context.Background(), func(store.Record) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("cut dump: %v", err)
	}
	kinds := []string{}
	_ = f.st.Dump(f.ctx, func(r store.Record) error {
		if len(kinds) == 0 || kinds[len(kinds)-1] != r.Kind() {
			kinds = append(kinds, r.Kind())
		}
		return nil
	})
	if !slices.Equal(kinds, []string{"key_check", "users", "tokens", "accounts", "snapshots", "history", "webhooks", "deliveries"}) {
		t.Fatalf("dump order %v", kinds)
	}
}
