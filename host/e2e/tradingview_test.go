package e2e

// TradingView's alerts through the real daemon to each of the five
// connectors and its fake exchange, all as processes built from this
// checkout: the ticker forms TradingView sends (BTCUSDT, BTCUSDT.P,
// BINANCE:BTCUSDT.P) and each exchange's own names are resolved with the
// connector's instrument list, quantities are rounded down to the lot step,
// a spot close sells the free balance rounded down, and the fake receives
// exactly those orders. Each alert is first tried with the test route,
// which must answer what the alert then does.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/hosttest"
	"github.com/shopspring/decimal"
)

// venue is one connector with what the test needs to know of its fake:
// how to seed it, where orders go and what their fields are called.
type venue struct {
	name string
	// key and account are the fake's Key and Account by Go field names.
	key, account map[string]any
	passphrase   string
	endpoints    string // the exchange block's endpoints map
	spotPath     string
	futuresPath  string
	// symbol, side and qty name the order's fields.
	symbol, side, qty string
	// contract, when set, is the futures contract size: the quantity
	// field counts contracts of it.
	contract string
	// spotNative and futuresNative are the exchange's names of BTC/USDT.
	spotNative, futuresNative string
}

// btcFree is the free BTC every fake account holds, more digits than any
// lot step, so that a close must round it down.
const btcFree = "0.12345678"

func venues(secret, pass string) []venue {
	usdt := "100000"
	return []venue{
		{name: "binance",
			key: map[string]any{"APIKey": "", "Secret": secret, "EnableReading": true,
				"EnableSpotAndMarginTrading": true, "EnableFutures": true},
			account: map[string]any{
				"Spot": []map[string]string{{"Asset": "USDT", "Free": usdt, "Locked": "0"}, {"Asset": "BTC", "Free": btcFree, "Locked": "0"}},
				"Futures": []map[string]string{{"Asset": "USDT", "WalletBalance": usdt, "UnrealizedProfit": "0",
					"MarginBalance": usdt, "AvailableBalance": usdt}}},
			endpoints: "spot = %[2]q\n    futures = %[2]q", spotPath: "/api/v3/order", futuresPath: "/fapi/v1/order",
			symbol: "symbol", side: "side", qty: "quantity", spotNative: "BTCUSDT", futuresNative: "BTCUSDT"},
		{name: "bybit",
			key: map[string]any{"APIKey": "", "Secret": secret,
				"Permissions": map[string][]string{"ContractTrade": {"Order", "Position"}, "Spot": {"SpotTrade"}}},
			account: map[string]any{"Coins": []map[string]string{
				{"Coin": "USDT", "WalletBalance": usdt, "Locked": "0", "SpotBorrow": "0", "Equity": usdt, "UnrealisedPnl": "0",
					"TotalOrderIM": "0", "TotalPositionIM": "0"},
				{"Coin": "BTC", "WalletBalance": btcFree, "Locked": "0", "SpotBorrow": "0", "Equity": btcFree, "UnrealisedPnl": "0",
					"TotalOrderIM": "0", "TotalPositionIM": "0"}}},
			endpoints: "rest = %[2]q", spotPath: "/v5/order/create", futuresPath: "/v5/order/create",
			symbol: "symbol", side: "side", qty: "qty", spotNative: "BTCUSDT", futuresNative: "BTCUSDT"},
		{name: "okx",
			key:        map[string]any{"APIKey": "", "Secret": secret, "Passphrase": pass, "Trade": true},
			passphrase: pass,
			account: map[string]any{"Balances": []map[string]string{
				{"Ccy": "USDT", "Eq": usdt, "CashBal": usdt, "AvailBal": usdt, "AvailEq": usdt, "FrozenBal": "0", "Upl": "0"},
				{"Ccy": "BTC", "Eq": btcFree, "CashBal": btcFree, "AvailBal": btcFree, "AvailEq": btcFree, "FrozenBal": "0", "Upl": "0"}}},
			endpoints: "rest = %[2]q", spotPath: "/api/v5/trade/order", futuresPath: "/api/v5/trade/order",
			symbol: "instId", side: "side", qty: "sz", contract: "0.01", spotNative: "BTC-USDT", futuresNative: "BTC-USDT-SWAP"},
		{name: "bitget",
			key:        map[string]any{"APIKey": "", "Secret": secret, "Passphrase": pass, "Authorities": []string{"trade"}},
			passphrase: pass,
			account: map[string]any{
				"Spot": []map[string]string{{"Coin": "USDT", "Available": usdt, "Frozen": "0", "Locked": "0"},
					{"Coin": "BTC", "Available": btcFree, "Frozen": "0", "Locked": "0"}},
				"Futures": []map[string]string{{"MarginCoin": "USDT", "Available": usdt, "CrossedMaxAvailable": usdt,
					"AccountEquity": usdt, "UnrealizedPL": "0", "CrossedUnrealizedPL": "0", "IsolatedUnrealizedPL": "0", "Locked": "0"}}},
			endpoints: "rest = %[2]q", spotPath: "/api/v2/spot/trade/place-order", futuresPath: "/api/v2/mix/order/place-order",
			symbol: "symbol", side: "side", qty: "size", spotNative: "BTCUSDT", futuresNative: "BTCUSDT"},
		{name: "bingx",
			key: map[string]any{"APIKey": "", "Secret": secret, "Permissions": []int{1, 2, 3}},
			account: map[string]any{
				"Spot": []map[string]string{{"Asset": "USDT", "Free": usdt, "Locked": "0"}, {"Asset": "BTC", "Free": btcFree, "Locked": "0"}},
				"Swap": []map[string]string{{"Asset": "USDT", "Balance": usdt, "Equity": usdt, "UnrealizedProfit": "0",
					"RealisedProfit": "0", "AvailableMargin": usdt, "UsedMargin": "0", "FreezedMargin": "0"}}},
			endpoints: "rest = %[2]q", spotPath: "/openApi/spot/v1/trade/order", futuresPath: "/openApi/swap/v2/trade/order",
			symbol: "symbol", side: "side", qty: "quantity", spotNative: "BTC-USDT", futuresNative: "BTC-USDT"},
	}
}

var connectorBins struct {
	once    sync.Once
	plugin  map[string]string
	fake    map[string]string
	failure string
}

// buildConnectors builds the four connectors and fakes TestMain does not
// (binance's are built there), once.
func buildConnectors(t *testing.T) {
	connectorBins.once.Do(func() {
		connectorBins.plugin = map[string]string{"binance": bins.binance}
		connectorBins.fake = map[string]string{"binance": bins.fakeBinance}
		for _, name := range []string{"bybit", "okx", "bitget", "bingx"} {
			connectorBins.plugin[name] = hosttest.Build(t, "plugins/"+name, filepath.Join(bins.dir, "gahost-plugin-"+name), "")
			connectorBins.fake[name] = hosttest.Build(t, "plugins/"+name+"/fake/cmd/fake"+name, filepath.Join(bins.dir, "fake"+name), "")
		}
	})
	if len(connectorBins.fake) != 5 {
		t.Fatal("the connectors could not be built")
	}
}

// orderFields reads a request's parameters, from its query and its body
// (JSON or a form).
func orderFields(t *testing.T, r hosttest.Request) map[string]string {
	t.Helper()
	out := map[string]string{}
	q, _ := url.ParseQuery(r.Query)
	for k := range q {
		out[k] = q.Get(k)
	}
	body := strings.TrimSpace(r.Body)
	if strings.HasPrefix(body, "{") {
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("order body %q: %v", body, err)
		}
		for k, v := range m {
			out[k] = fmt.Sprint(v)
		}
	} else if body != "" {
		f, _ := url.ParseQuery(body)
		for k := range f {
			out[k] = f.Get(k)
		}
	}
	return out
}

type testVerdict struct {
	Status     string `json:"status"`
	WouldPlace bool   `json:"would_place"`
	Resolution struct {
		Ticker, Symbol, Native, Method string
	} `json:"resolution"`
	Instrument *struct {
		LotStep  string `json:"lot_step"`
		TickSize string `json:"tick_size"`
	} `json:"instrument"`
	Order *struct {
		Symbol   string  `json:"symbol"`
		Side     string  `json:"side"`
		Quantity string  `json:"quantity"`
		Price    *string `json:"price"`
	} `json:"order"`
	Error *struct{ Code, Message string } `json:"error"`
}

func TestTradingViewAlertsOnFiveExchanges(t *testing.T) {
	if testing.Short() {
		t.Skip("builds four more connectors and fakes")
	}
	buildConnectors(t)
	pass := "e2ePass" + randHex(t)[:8]
	dir := t.TempDir()
	pdir := filepath.Join(dir, "plugins")
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		t.Fatal(err)
	}
	vs := venues("e2eSecret"+randHex(t), pass)
	fakes := map[string]*hosttest.Fake{}
	var cfg strings.Builder
	for i := range vs {
		v := &vs[i]
		f := hosttest.StartFake(t, connectorBins.fake[v.name])
		fakes[v.name] = f
		v.key["APIKey"] = "e2eKey" + v.name + randHex(t)[:16]
		f.AddAccount(v.key, v.account)
		hosttest.InstallPlugin(t, connectorBins.plugin[v.name], pdir, "gahost-plugin-"+v.name)
		fmt.Fprintf(&cfg, "exchange %q {\n  endpoints = {\n    "+v.endpoints+"\n  }\n}\n", v.name, f.URL)
	}
	d := hosttest.Start(t, bins.daemon, dir, hosttest.Options{PluginDir: pdir, Env: []string{"GAHOST_MASTER_KEY="},
		API: `  public_url = "https://hub.example.test"`, ConfigBody: cfg.String()})
	for _, v := range vs {
		d.WaitExchange(v.name, 30*time.Second, func(e hosttest.Exchange, ok bool) bool { return ok && e.Status == "ready" })
	}
	t.Cleanup(func() {
		log := d.Log()
		for _, v := range vs {
			if strings.Contains(log, v.key["Secret"].(string)) || (v.passphrase != "" && strings.Contains(log, v.passphrase)) {
				t.Errorf("the daemon log holds %s's secret or passphrase", v.name)
			}
		}
	})
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) { tradeThroughTradingView(t, d, fakes[v.name], v) })
	}
}

// sent is an order the fake must have received.
type sent struct {
	path, symbol, side string
	qty                decimal.Decimal
}

func tradeThroughTradingView(t *testing.T, d *hosttest.Daemon, f *hosttest.Fake, v venue) {
	body := map[string]any{"name": "TV " + v.name, "exchange": v.name, "api_key": v.key["APIKey"],
		"secret_key": v.key["Secret"], "validate": false}
	if v.passphrase != "" {
		body["passphrase"] = v.passphrase
	}
	var acct struct{ ID string }
	if code := d.Do("POST", "/api/v1/exchange-accounts", body, &acct); code != http.StatusCreated {
		t.Fatalf("add account: %d", code)
	}
	// A close reads the free balance from the latest snapshot.
	var e apiError
	if code := d.Do("POST", "/api/v1/exchange-accounts/"+acct.ID+"/sync", nil, &e); code != http.StatusOK {
		t.Fatalf("sync: %d %+v", code, e)
	}
	type webhook struct {
		ID, URL, Secret string
		URLAbsolute     bool `json:"url_absolute"`
		TradingView     struct {
			Message string `json:"message"`
		} `json:"tradingview"`
	}
	hook := func(market string) webhook {
		var w webhook
		if code := d.Do("POST", "/api/v1/webhooks", map[string]any{"name": v.name + " " + market,
			"exchange_account_id": acct.ID, "market": market}, &w); code != http.StatusCreated {
			t.Fatalf("create %s webhook: %d", market, code)
		}
		if !w.URLAbsolute || !strings.HasPrefix(w.URL, "https://hub.example.test/hooks/gahwh_") {
			t.Fatalf("url %q absolute %v", w.URL, w.URLAbsolute)
		}
		return w
	}
	futures, spot := hook("futures"), hook("spot")

	var want []sent
	n := 0
	send := func(w webhook, market, ticker, action, qty, price string) {
		t.Helper()
		n++
		alert := map[string]any{"secret": w.Secret, "action": action, "symbol": ticker,
			"alert_id": fmt.Sprintf("tv-%s-%d", v.name, n)}
		if qty != "" {
			alert["quantity"] = qty
		}
		if price != "" {
			alert["type"], alert["price"] = "limit", price
		}
		// The test first: what it says is what the alert must do.
		var verdict testVerdict
		if code := d.Do("POST", "/api/v1/webhooks/"+w.ID+"/test", alert, &verdict); code != http.StatusOK ||
			!verdict.WouldPlace || verdict.Status != "test" || verdict.Instrument == nil || verdict.Order == nil {
			t.Fatalf("test %s %s: %d %+v", market, ticker, code, verdict)
		}
		native := v.spotNative
		path := v.spotPath
		if market == "futures" {
			native, path = v.futuresNative, v.futuresPath
		}
		if verdict.Resolution.Native != native || !strings.HasPrefix(verdict.Resolution.Symbol, "BTC/USDT") {
			t.Fatalf("%s resolved to %+v, want %s", ticker, verdict.Resolution, native)
		}
		asked := decimal.RequireFromString(btcFree)
		if qty != "" {
			asked = decimal.RequireFromString(qty)
		}
		step := decimal.RequireFromString(verdict.Instrument.LotStep)
		rounded := asked.Div(step).Floor().Mul(step)
		if q := decimal.RequireFromString(verdict.Order.Quantity); !q.Equal(rounded) || !rounded.IsPositive() {
			t.Fatalf("%s: test quantity %s, want %s rounded down to %s: %s", ticker, q, asked, step, rounded)
		}
		if price != "" {
			// A buy's price rounds down to the tick.
			tick := decimal.RequireFromString(verdict.Instrument.TickSize)
			wantPrice := decimal.RequireFromString(price).Div(tick).Floor().Mul(tick)
			if verdict.Order.Price == nil || !decimal.RequireFromString(*verdict.Order.Price).Equal(wantPrice) {
				t.Fatalf("%s: test price %v, want %s", ticker, verdict.Order.Price, wantPrice)
			}
		}

		// The alert itself, posted to the path of the full URL.
		raw, _ := json.Marshal(alert)
		u, _ := url.Parse(w.URL)
		resp, err := http.Post("http://"+d.Addr+u.Path, "text/plain; charset=utf-8", strings.NewReader(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		var ans struct {
			Status     string `json:"status"`
			Resolution struct{ Symbol, Native, Method string }
			Error      *struct{ Code, Message string } `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&ans)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || ans.Status != "executed" || ans.Resolution.Native != native {
			t.Fatalf("alert %s %s %s: %d %+v %+v", market, action, ticker, resp.StatusCode, ans, ans.Error)
		}
		side := verdict.Order.Side
		if v.contract != "" && market == "futures" {
			rounded = rounded.Div(decimal.RequireFromString(v.contract))
		}
		want = append(want, sent{path: path, symbol: native, side: side, qty: rounded})
	}

	// TradingView's three forms, and the exchange's own name.
	send(futures, "futures", "BTCUSDT", "buy", "0.0123456", "")
	send(futures, "futures", "BTCUSDT.P", "sell", "0.0123456", "")
	send(futures, "futures", "BINANCE:BTCUSDT.P", "buy", "0.0234567", "")
	send(futures, "futures", v.futuresNative, "sell", "0.0234567", "")
	// Spot buys as limit orders: two of the connectors size a spot market
	// buy in the quote asset only.
	send(spot, "spot", "BINANCE:BTCUSDT", "buy", "0.00123456", "59000.0123")
	send(spot, "spot", v.spotNative, "buy", "0.00123456", "59000.0123")
	// The free balance, rounded down: the buys above are not synced yet.
	send(spot, "spot", "BTCUSDT", "close", "", "")

	// The fake received exactly these orders, in this order, per path.
	got := map[string][]hosttest.Request{}
	for _, w := range want {
		if _, ok := got[w.path]; !ok {
			for _, r := range f.Requests(w.path) {
				if r.Method == http.MethodPost && r.Status == http.StatusOK {
					got[w.path] = append(got[w.path], r)
				}
			}
		}
	}
	next := map[string]int{}
	for i, w := range want {
		list := got[w.path]
		if next[w.path] >= len(list) {
			t.Fatalf("order %d (%+v): the fake received only %d orders on %s", i, w, len(list), w.path)
		}
		fields := orderFields(t, list[next[w.path]])
		next[w.path]++
		q, err := decimal.NewFromString(fields[v.qty])
		if fields[v.symbol] != w.symbol || !strings.EqualFold(fields[v.side], w.side) || err != nil || !q.Equal(w.qty) {
			t.Errorf("order %d: the fake received %s=%s %s=%s %s=%s, want %s %s %s", i, v.symbol, fields[v.symbol],
				v.side, fields[v.side], v.qty, fields[v.qty], w.symbol, w.side, w.qty)
		}
	}
	for path, list := range got {
		if next[path] != len(list) {
			t.Errorf("the fake received %d orders on %s, want %d", len(list), path, next[path])
		}
	}
}
