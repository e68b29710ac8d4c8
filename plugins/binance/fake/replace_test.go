package fake

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk/fakews"
)

// replaced is an account as a demo writes it whole: spot balances,
// the USDT wallet and positions by symbol ("amount@P&L").
func replaced(spot map[string]string, wallet string, positions map[string]string) Account {
	a := Account{Futures: []FuturesAsset{{Asset: "USDT", WalletBalance: wallet, UnrealizedProfit: "0", MarginBalance: wallet, AvailableBalance: wallet}}}
	for _, asset := range []string{"BTC", "USDT", "BNB"} {
		if free, ok := spot[asset]; ok {
			a.Spot = append(a.Spot, Balance{Asset: asset, Free: free, Locked: "0"})
		}
	}
	for _, sym := range []string{"BTCUSDT", "ETHUSDT"} {
		if v, ok := positions[sym]; ok {
			amt, upl, _ := strings.Cut(v, "@")
			a.Positions = append(a.Positions, Position{Symbol: sym, PositionSide: "BOTH", PositionAmt: amt,
				EntryPrice: "100", UnRealizedProfit: upl})
		}
	}
	return a
}

func rows(t *testing.T, v any) string {
	t.Helper()
	b, _ := json.Marshal(v)
	return string(b)
}

// Replacing an account pushes what changed on both streams, in Binance's
// events, and nothing for what did not; the drop switch loses them.
func TestReplacePushesWhatChanged(t *testing.T) {
	s := New()
	t.Cleanup(s.Close)
	s.StartWS(WSConfig{})
	k := FullKey("replaceKey", "replaceSecret")
	s.Replace(k, replaced(map[string]string{"BTC": "1", "USDT": "100", "BNB": "3"}, "500",
		map[string]string{"BTCUSDT": "0.1@1", "ETHUSDT": "-2@3"}))

	spot := fakews.Listen(t, s.WSURL()+"/ws-api/v3")
	ts := itoa(s.Now().UnixMilli())
	spot.Send(map[string]any{"id": 1, "method": "userDataStream.subscribe.signature", "params": map[string]string{
		"apiKey": k.APIKey, "timestamp": ts, "signature": hexSig(k.Secret, "apiKey="+k.APIKey+"&timestamp="+ts)}})
	if m := spot.Next(5 * time.Second); m["status"] != float64(200) {
		t.Fatalf("subscribe answered %v", m)
	}
	futures := fakews.Listen(t, s.WSURL()+"/private/ws?listenKey="+newListenKey(t, s, k.APIKey))
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if conns, _ := s.futuresConns(k.APIKey); len(conns) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the futures connection never joined its listenKey")
		}
	}
	event := func(l *fakews.Listener) map[string]any {
		t.Helper()
		m := l.Next(5 * time.Second)
		if ev, ok := m["event"].(map[string]any); ok {
			return ev // spot: wrapped with its subscription id
		}
		return m
	}

	// BTC moves, BNB is gone, USDT stays; the wallet stays, BTCUSDT's
	// P&L moves and ETHUSDT is closed.
	s.Replace(k, replaced(map[string]string{"BTC": "1.5", "USDT": "100"}, "500", map[string]string{"BTCUSDT": "0.1@4"}))
	ev := event(spot)
	if got, want := rows(t, ev["B"]), `[{"a":"BTC","f":"1.5","l":"0"},{"a":"BNB","f":"0","l":"0"}]`; ev["e"] != "outboundAccountPosition" || got != want {
		t.Errorf("spot event %v, balances %s, want %s", ev["e"], got, want)
	}
	ev = event(futures)
	a, _ := ev["a"].(map[string]any)
	if ev["e"] != "ACCOUNT_UPDATE" || a["m"] != "ORDER" || rows(t, a["B"]) != "[]" {
		t.Errorf("futures event %v", ev)
	}
	p, _ := a["P"].([]any)
	if got := fmt.Sprint(p); len(p) != 2 || rows(t, p[0].(map[string]any)["pa"]) != `"0.1"` || p[0].(map[string]any)["up"] != "4" || rows(t, p[1].(map[string]any)["pa"]) != `"0"` ||
		p[1].(map[string]any)["s"] != "ETHUSDT" {
		t.Errorf("positions pushed: %s", got)
	}

	// The same account again pushes nothing: the next events are those
	// of the change after it.
	s.Replace(k, replaced(map[string]string{"BTC": "1.5", "USDT": "100"}, "500", map[string]string{"BTCUSDT": "0.1@4"}))
	s.Replace(k, replaced(map[string]string{"BTC": "1.5", "USDT": "90"}, "650", map[string]string{"BTCUSDT": "0.1@4"}))
	if ev := event(spot); rows(t, ev["B"]) != `[{"a":"USDT","f":"90","l":"0"}]` {
		t.Errorf("after an unchanged replace, spot pushed %v", ev)
	}
	ev = event(futures)
	if a, _ := ev["a"].(map[string]any); a["m"] != "DEPOSIT" || rows(t, a["B"]) != `[{"a":"USDT","bc":"0","cw":"650","wb":"650"}]` || rows(t, a["P"]) != "[]" {
		t.Errorf("a wallet change pushed %v", ev)
	}

	s.DropEvents(1)
	s.Replace(k, replaced(map[string]string{"BTC": "2", "USDT": "90"}, "700", nil))
	if n := s.Stats().Dropped; n != 2 {
		t.Errorf("%d events dropped, want 2", n)
	}
	spot.Quiet(300 * time.Millisecond)
}
