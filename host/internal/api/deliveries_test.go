package api

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/webhooks"
	"github.com/hashicorp/go-hclog"
)

// The probe's replay: one body without alert_id posted three times places
// one order; the copies answer duplicate and name the first.
func TestReplayedAlertBodyPlacesOneOrder(t *testing.T) {
	he := newHookEnv(t)
	c := he.webhook(he.tok, map[string]any{"name": "tv", "exchange_account_id": he.acct.ID, "market": "spot"})
	body := alertJSON(c.Secret, `"action":"buy","symbol":"BTC/USDT","type":"limit","quantity":"0.001","price":"50000"`)
	var first hookReply
	for i := range 3 {
		r := he.alert(c.URL, body)
		var ans hookReply
		r.decode(t, &ans)
		switch {
		case i == 0 && (r.Code != 200 || ans.Status != "executed"):
			t.Fatalf("first: %d %s", r.Code, r.Body)
		case i == 0:
			first = ans
		case r.Code != 200 || ans.Status != "duplicate" || ans.DuplicateOf != first.DeliveryID:
			t.Fatalf("copy %d: %d %s", i, r.Code, r.Body)
		}
		he.clock.add(3 * time.Second)
	}
	if n := he.ex.placed(); n != 1 {
		t.Fatalf("%d orders", n)
	}
}

// An exchange slower than the answer window: 202 with the delivery id and
// status pending; the delivery then records the outcome.
func TestSlowAlertAnswers202(t *testing.T) {
	he := newHookEnv(t)
	svc, err := webhooks.New(webhooks.Config{Store: he.st, Keys: he.key, Exchanges: he.exchanges,
		Logger: hclog.NewNullLogger(), Now: he.clock.now, AnswerWithin: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	he.deps.Webhooks = svc
	he.h = he.checked(New(he.deps))
	c := he.webhook(he.tok, map[string]any{"name": "tv", "exchange_account_id": he.acct.ID, "market": "spot"})
	he.ex.gate = make(chan struct{})
	r := he.alert(c.URL, alertJSON(c.Secret, `"action":"buy","symbol":"BTC/USDT","type":"market","quote_quantity":"10"`))
	var ans hookReply
	r.decode(t, &ans)
	if r.Code != http.StatusAccepted || ans.Status != "pending" || ans.DeliveryID == "" {
		t.Fatalf("slow alert: %d %s", r.Code, r.Body)
	}
	close(he.ex.gate)
	svc.Wait()
	var list []deliveryView
	he.do("GET", "/api/v1/webhooks/"+c.ID+"/deliveries", he.tok, nil).decode(t, &list)
	if len(list) != 1 || list[0].ID != ans.DeliveryID || list[0].Status != "executed" {
		t.Fatalf("deliveries: %+v", list)
	}
}

// Deliveries come a page at a time with X-Next-Cursor, and filter by
// status.
func TestDeliveriesPaged(t *testing.T) {
	he := newHookEnv(t)
	c := he.webhook(he.tok, map[string]any{"name": "tv", "exchange_account_id": he.acct.ID, "market": "spot",
		"allowed_symbols": []string{"BTC/USDT"}})
	for i := range 5 {
		sym := "BTC/USDT"
		if i%2 == 1 {
			sym = "ETH/USDT"
		}
		he.alert(c.URL, alertJSON(c.Secret, fmt.Sprintf(`"action":"buy","symbol":%q,"type":"market","quote_quantity":"10","alert_id":"a%d"`, sym, i)))
		he.clock.add(3 * time.Second)
	}
	path := "/api/v1/webhooks/" + c.ID + "/deliveries"
	var all []string
	next := ""
	for pages := 0; ; pages++ {
		url := path + "?limit=2"
		if next != "" {
			url += "&cursor=" + next
		}
		r := he.do("GET", url, he.tok, nil)
		var list []deliveryView
		r.decode(t, &list)
		for _, d := range list {
			all = append(all, d.AlertID)
		}
		next = r.Header().Get("X-Next-Cursor")
		if next == "" {
			if pages != 2 {
				t.Fatalf("%d pages", pages+1)
			}
			break
		}
	}
	if fmt.Sprint(all) != "[a4 a3 a2 a1 a0]" {
		t.Fatalf("paged: %v", all)
	}
	r := he.do("GET", path+"?status=rejected", he.tok, nil)
	var rejected []deliveryView
	r.decode(t, &rejected)
	if len(rejected) != 2 || rejected[0].AlertID != "a3" || r.Header().Get("X-Next-Cursor") != "" {
		t.Fatalf("rejected: %s", r.Body)
	}
	for _, q := range []string{"?status=done", "?cursor=xx", "?limit=1001"} {
		if r := he.do("GET", path+q, he.tok, nil); r.Code != 400 || r.errorCode() != codeInvalidField {
			t.Errorf("%s: %d %s", q, r.Code, r.Body)
		}
	}
}
