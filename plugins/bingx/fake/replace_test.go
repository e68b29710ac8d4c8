package fake

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk/fakews"
)

// replaced is an account as a demo writes it whole: spot balances by
// asset, the USDT swap balance and its positions.
func replaced(spot map[string]string, balance string, positions ...Position) Account {
	a := Account{Swap: []SwapAsset{{Asset: "USDT", Balance: balance, Equity: balance, UnrealizedProfit: "0"}}}
	for _, asset := range []string{"USDT", "DOGE", "BTC"} {
		if free, ok := spot[asset]; ok {
			a.Spot = append(a.Spot, Balance{Asset: asset, Free: free, Locked: "0"})
		}
	}
	a.Positions = positions
	return a
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Replacing an account pushes ACCOUNT_UPDATE on the spot and the swap
// stream for what changed there, nothing for what did not; the drop
// switch loses them.
func TestReplacePushesWhatChanged(t *testing.T) {
	s := New()
	t.Cleanup(s.Close)
	base := s.StartWS(WSConfig{})
	k := Key{APIKey: "replaceKey", Secret: "replaceSecret"}
	long := Position{Symbol: "BTC-USDT", PositionSide: "LONG", PositionAmt: "1", AvgPrice: "60000", UnrealizedProfit: "5", Leverage: 10}
	short := Position{Symbol: "ETH-USDT", PositionSide: "SHORT", PositionAmt: "2", AvgPrice: "3000", UnrealizedProfit: "1", Leverage: 10}
	s.Replace(k, replaced(map[string]string{"USDT": "100", "DOGE": "500", "BTC": "1"}, "1000", long, short))
	s.mu.Lock()
	name := s.keys.Make(k.APIKey, time.Now())
	s.mu.Unlock()

	spot := fakews.Listen(t, base+"/market?listenKey="+name)
	spot.Send(map[string]string{"id": "1", "reqType": "sub", "dataType": "ACCOUNT_UPDATE"})
	if m := spot.Next(5 * time.Second); m["code"] != float64(0) {
		t.Fatalf("subscribe: %v", m)
	}
	swap := fakews.Listen(t, base+"/swap-market?listenKey="+name)
	for deadline := time.Now().Add(5 * time.Second); len(s.targets(k.APIKey, false)) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the swap connection never registered")
		}
	}
	update := func(l *fakews.Listener) map[string]any {
		t.Helper()
		m := l.Next(5 * time.Second)
		if m["e"] != "ACCOUNT_UPDATE" {
			t.Fatalf("pushed %v", m)
		}
		return m["a"].(map[string]any)
	}

	// DOGE moves and BTC is gone; the swap balance stays, BTC-USDT's
	// P&L moves and ETH-USDT closes.
	pnl := long
	pnl.UnrealizedProfit = "7"
	s.Replace(k, replaced(map[string]string{"USDT": "100", "DOGE": "600"}, "1000", pnl))
	if got, want := jsonOf(update(spot)["B"]), `[{"a":"DOGE","bc":"100","cw":"600","lk":"0","wb":"600"},{"a":"BTC","bc":"-1","cw":"0","lk":"0","wb":"0"}]`; got != want {
		t.Errorf("spot rows %s, want %s", got, want)
	}
	a := update(swap)
	p, _ := a["P"].([]any)
	if a["m"] != "ORDER" || jsonOf(a["B"]) != "[]" || len(p) != 2 || jsonOf(p[0].(map[string]any)["up"]) != `"7"` ||
		p[1].(map[string]any)["s"] != "ETH-USDT" || p[1].(map[string]any)["pa"] != "0" {
		t.Errorf("swap update %s", jsonOf(a))
	}

	// The same account again pushes nothing: the next pushes are those of
	// the change after it.
	s.Replace(k, replaced(map[string]string{"USDT": "100", "DOGE": "600"}, "1000", pnl))
	s.Replace(k, replaced(map[string]string{"USDT": "90", "DOGE": "600"}, "1200", pnl))
	if got := jsonOf(update(spot)["B"]); got != `[{"a":"USDT","bc":"-10","cw":"90","lk":"0","wb":"90"}]` {
		t.Errorf("after an unchanged replace, spot pushed %s", got)
	}
	if a := update(swap); a["m"] != "DEPOSIT" || jsonOf(a["B"]) != `[{"a":"USDT","bc":"200","cw":"1200","wb":"1200"}]` || jsonOf(a["P"]) != "[]" {
		t.Errorf("a balance change pushed %s", jsonOf(a))
	}

	s.DropEvents(1)
	s.Replace(k, replaced(map[string]string{"USDT": "80", "DOGE": "600"}, "1300"))
	if n := s.Stats().Dropped; n != 2 {
		t.Errorf("%d events dropped, want 2", n)
	}
	swap.Quiet(300 * time.Millisecond)
}
