package fake

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk/fakews"
	"github.com/globalautomation/gahost/sdk/sign"
)

// replaced is an account as a demo writes it whole: currencies by their
// equity, and its net-mode swap positions.
func replaced(ccys map[string]string, positions ...Position) Account {
	a := Account{AcctLv: "2", PosMode: "net_mode"}
	for _, ccy := range []string{"USDT", "BTC", "ETH"} {
		if eq, ok := ccys[ccy]; ok {
			a.Balances = append(a.Balances, Balance{Ccy: ccy, Eq: eq, CashBal: eq, AvailBal: eq, AvailEq: eq, FrozenBal: "0", Upl: "0"})
		}
	}
	a.Positions = positions
	return a
}

// Replacing an account pushes on account, positions and
// balance_and_position what changed, and nothing for what did not; the
// drop switch loses the pushes.
func TestReplacePushesWhatChanged(t *testing.T) {
	s := New()
	t.Cleanup(s.Close)
	s.StartWS(WSConfig{})
	k := Key{APIKey: "replaceKey", Secret: "replaceSecret", Passphrase: "pass", Trade: true}
	long := Position{InstID: "BTC-USDT-SWAP", MgnMode: "cross", PosSide: "net", Pos: "10", AvgPx: "60000", MarkPx: "60100", Upl: "5", Lever: "5"}
	short := Position{InstID: "ETH-USDT-SWAP", MgnMode: "cross", PosSide: "net", Pos: "-20", AvgPx: "3000", MarkPx: "3000", Upl: "1", Lever: "5"}
	s.Replace(k, replaced(map[string]string{"USDT": "1000", "BTC": "1", "ETH": "3"}, long, short))

	l := fakews.Listen(t, s.WSURL()+"/ws/v5/private")
	ts := strconv.FormatInt(s.Now().Unix(), 10)
	l.Send(map[string]any{"op": "login", "args": []map[string]string{{"apiKey": k.APIKey, "passphrase": k.Passphrase,
		"timestamp": ts, "sign": sign.Base64(k.Secret, ts+"GET/users/self/verify")}}})
	if m := l.Next(5 * time.Second); m["code"] != "0" {
		t.Fatalf("login: %v", m)
	}
	l.Send(map[string]any{"op": "subscribe", "args": []map[string]string{{"channel": "account"},
		{"channel": "positions", "instType": "ANY"}, {"channel": "balance_and_position"}}})
	for acks := 0; acks < 3; {
		if m := l.Next(5 * time.Second); m["event"] == "subscribe" {
			acks++
		} else if m["event"] != nil && m["event"] != "channel-conn-count" {
			t.Fatalf("subscribe: %v", m)
		}
	}
	// next is the next update (not an acknowledgement or a snapshot):
	// its channel and data.
	next := func() (string, []map[string]any) {
		t.Helper()
		for {
			m := l.Next(5 * time.Second)
			var data []map[string]any
			b, _ := json.Marshal(m["data"])
			_ = json.Unmarshal(b, &data)
			if m["event"] != nil || m["eventType"] == "snapshot" || len(data) > 0 && data[0]["eventType"] == "snapshot" {
				continue
			}
			return m["arg"].(map[string]any)["channel"].(string), data
		}
	}
	ccys := func(data []map[string]any) (out []string) {
		for _, d := range data[0]["details"].([]any) {
			out = append(out, d.(map[string]any)["ccy"].(string)+"="+d.(map[string]any)["eq"].(string))
		}
		return out
	}

	// BTC moves and ETH is gone; BTC-USDT-SWAP's P&L moves and
	// ETH-USDT-SWAP closes.
	pnl := long
	pnl.Upl = "7"
	s.Replace(k, replaced(map[string]string{"USDT": "1000", "BTC": "1.5"}, pnl))
	if ch, data := next(); ch != "account" || len(ccys(data)) != 2 || ccys(data)[0] != "BTC=1.5" || ccys(data)[1] != "ETH=0" {
		t.Errorf("%s pushed %v", ch, data)
	}
	if ch, data := next(); ch != "balance_and_position" || len(data[0]["balData"].([]any)) != 2 || len(data[0]["posData"].([]any)) != 0 {
		t.Errorf("%s pushed %v", ch, data)
	}
	if ch, data := next(); ch != "positions" || len(data) != 2 || data[0]["upl"] != "7" || data[1]["instId"] != "ETH-USDT-SWAP" || data[1]["pos"] != "0" {
		t.Errorf("%s pushed %v", ch, data)
	}
	if ch, data := next(); ch != "balance_and_position" || len(data[0]["posData"].([]any)) != 2 {
		t.Errorf("%s pushed %v", ch, data)
	}

	// The same account again pushes nothing: the next push is that of
	// the change after it.
	s.Replace(k, replaced(map[string]string{"USDT": "1000", "BTC": "1.5"}, pnl))
	s.Replace(k, replaced(map[string]string{"USDT": "900", "BTC": "1.5"}, pnl))
	if ch, data := next(); ch != "account" || len(ccys(data)) != 1 || ccys(data)[0] != "USDT=900" {
		t.Errorf("after an unchanged replace, %s pushed %v", ch, data)
	}
	if ch, data := next(); ch != "balance_and_position" || len(data[0]["balData"].([]any)) != 1 {
		t.Errorf("%s pushed %v", ch, data)
	}

	s.DropEvents(1)
	s.Replace(k, replaced(map[string]string{"USDT": "800", "BTC": "1.5"}))
	if n := s.Stats().Dropped; n != 4 {
		t.Errorf("%d events dropped, want 4", n)
	}
	l.Quiet(300 * time.Millisecond)
}
