package fake

import (
	"strconv"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk/fakews"
	"github.com/globalautomation/gahost/sdk/sign"
)

// replaced is an account as a demo writes it whole: coins by name, and
// its positions.
func replaced(coins map[string]string, positions ...Position) Account {
	var a Account
	for _, name := range []string{"USDT", "ETH", "SOL"} {
		if w, ok := coins[name]; ok {
			a.Coins = append(a.Coins, Coin{Coin: name, WalletBalance: w, Locked: "0"})
		}
	}
	a.Positions = positions
	return a
}

// Replacing an account pushes wallet with the coins that changed or
// vanished and the rows of the symbols whose positions changed, nothing
// for what did not; the drop switch loses them.
func TestReplacePushesWhatChanged(t *testing.T) {
	s := New()
	t.Cleanup(s.Close)
	base := s.StartWS(WSConfig{})
	k := Key{APIKey: "replaceKey", Secret: "replaceSecret"}
	long := Position{Symbol: "BTCUSDT", Side: "Buy", Size: "1", AvgPrice: "60000", UnrealisedPnl: "5", Leverage: "10"}
	short := Position{Symbol: "ETHUSDT", Side: "Sell", Size: "2", AvgPrice: "3000", UnrealisedPnl: "1", Leverage: "10"}
	s.Replace(k, replaced(map[string]string{"USDT": "100", "ETH": "2", "SOL": "30"}, long, short))

	l := fakews.Listen(t, base+"/v5/private")
	expires := strconv.FormatInt(s.Now().Add(time.Minute).UnixMilli(), 10)
	l.Send(`{"op":"auth","args":["` + k.APIKey + `",` + expires + `,"` + sign.Hex(k.Secret, "GET/realtime"+expires) + `"]}`)
	if m := l.Next(5 * time.Second); m["success"] != true {
		t.Fatalf("auth: %v", m)
	}
	l.Send(`{"op":"subscribe","args":["wallet","position"]}`)
	if m := l.Next(5 * time.Second); m["success"] != true {
		t.Fatalf("subscribe: %v", m)
	}
	// next is the next push of topic, its data's rows.
	next := func(topic string) []map[string]any {
		t.Helper()
		m := l.Next(5 * time.Second)
		if m["topic"] != topic {
			t.Fatalf("pushed %v, want %s", m, topic)
		}
		var out []map[string]any
		for _, r := range m["data"].([]any) {
			out = append(out, r.(map[string]any))
		}
		return out
	}
	coins := func(w map[string]any) (out []string) {
		for _, c := range w["coin"].([]any) {
			out = append(out, c.(map[string]any)["coin"].(string)+"="+c.(map[string]any)["walletBalance"].(string))
		}
		return out
	}

	// ETH moves and SOL is gone; BTCUSDT's P&L moves (no trade) and
	// ETHUSDT closes.
	pnl := long
	pnl.UnrealisedPnl = "7"
	s.Replace(k, replaced(map[string]string{"USDT": "100", "ETH": "2.5"}, pnl))
	if got := coins(next("wallet")[0]); len(got) != 2 || got[0] != "ETH=2.5" || got[1] != "SOL=0" {
		t.Errorf("wallet coins pushed %v", got)
	}
	btc := next("position")
	if len(btc) != 1 || btc[0]["symbol"] != "BTCUSDT" || btc[0]["unrealisedPnl"] != "7" || btc[0]["seq"] != float64(-1) {
		t.Errorf("BTCUSDT pushed %v", btc)
	}
	eth := next("position")
	if len(eth) != 1 || eth[0]["symbol"] != "ETHUSDT" || eth[0]["size"] != "0" || eth[0]["seq"].(float64) < 1 {
		t.Errorf("ETHUSDT pushed %v", eth)
	}

	// The same account again pushes nothing: the next push is that of
	// the change after it.
	s.Replace(k, replaced(map[string]string{"USDT": "100", "ETH": "2.5"}, pnl))
	s.Replace(k, replaced(map[string]string{"USDT": "90", "ETH": "2.5"}, pnl))
	if got := coins(next("wallet")[0]); len(got) != 1 || got[0] != "USDT=90" {
		t.Errorf("after an unchanged replace, wallet pushed %v", got)
	}

	s.DropEvents(1)
	s.Replace(k, replaced(map[string]string{"USDT": "80", "ETH": "2.5"}))
	if n := s.Stats().Dropped; n != 2 {
		t.Errorf("%d events dropped, want 2 (wallet, position)", n)
	}
	l.Quiet(300 * time.Millisecond)
}
