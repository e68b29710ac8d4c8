package e2e

// The dashboard in a real browser: Debian's chromium, driven over the
// DevTools protocol by chromedp, against the real daemon with the Binance
// connector and the fake Binance, plus the Bitget and OKX connectors for
// the exchange picker. The test signs in, adds accounts through the form,
// sees the fake's exact balances on the overview, switches the main
// account, creates a webhook and runs its test, and fails on any console
// error and on any request to another origin. It saves a screenshot of
// every page in its artifact directory (go test -artifacts keeps them).

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/globalautomation/gahost/host/internal/hosttest"
)

// chromium finds the browser; the test skips without one (.ci/run installs
// Debian's chromium package).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium in PATH: the browser test needs it (apt-get install chromium)")
	return ""
}

// passphrasePlugins are the Bitget and OKX connectors, built once and only
// for this test: their accounts need a passphrase.
var passphrasePlugins = sync.OnceValue(func() map[string]string {
	dir, err := os.MkdirTemp("", "gahost-web-e2e")
	if err != nil {
		panic(err)
	}
	t := &buildT{}
	return map[string]string{
		"bitget": hosttest.Build(t, "plugins/bitget", filepath.Join(dir, "gahost-plugin-bitget"), ""),
		"okx":    hosttest.Build(t, "plugins/okx", filepath.Join(dir, "gahost-plugin-okx"), ""),
	}
})

// browser is a chromium tab that records what the page does.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu       sync.Mutex
	requests []string
	errors   []string
}

func newBrowser(t *testing.T, base string) *browser {
	exe := chromium(t)
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // CI runs as root
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, base: base}
	err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			b.requests = append(b.requests, ev.Request.URL)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				b.errors = append(b.errors, "console."+string(ev.Type)+": "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			b.errors = append(b.errors, "exception: "+ev.ExceptionDetails.Text+" "+exceptionDesc(ev.ExceptionDetails))
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError {
				b.errors = append(b.errors, "log: "+ev.Entry.Text+" "+ev.Entry.URL)
			}
		}
	})
	if err == nil {
		_, err = chromedp.Call(ctx, network.Enable, network.EnableParams{})
	}
	if err == nil {
		_, err = chromedp.Call(ctx, cdplog.Enable, cdp.Empty{})
	}
	if err == nil {
		_, err = chromedp.Call(ctx, runtime.Enable, cdp.Empty{})
	}
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v\nconsole errors: %v", what, err, b.consoleErrors())
	}
}

func (b *browser) consoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.errors)
}

// forgive drops the recorded errors that contain every one of parts: the
// ones a step provoked on purpose.
func (b *browser) forgive(parts ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errors = slices.DeleteFunc(b.errors, func(e string) bool {
		for _, p := range parts {
			if !strings.Contains(e, p) {
				return false
			}
		}
		return true
	})
}

// screenshot saves the whole page as name.png in the test's artifacts.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.t.ArtifactDir(), name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// text is the text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	// One evaluation in the page reads the node and its text together, so
	// a re-render between finding the node and reading it cannot fail the
	// read; the node is waited for as chromedp's own query would.
	js := fmt.Sprintf(`(() => { const n = document.querySelector(%q); return n ? [true, n.textContent] : [false, ''] })()`, sel)
	for deadline := time.Now().Add(10 * time.Second); ; {
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]any](js))
		if err != nil {
			b.t.Fatalf("read %s: %v", sel, err)
		}
		if len(v) == 2 && v[0] == true {
			text, _ := v[1].(string)
			return strings.TrimSpace(text)
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("read %s: no such element", sel)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// eval runs a JavaScript expression and returns its value.
func eval[T any](b *browser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("eval %s: %v", js, err)
	}
	return v
}

// waitJS polls a JavaScript condition until it is true.
func (b *browser) waitJS(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("!!("+cond+")")); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			notice, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.getElementById('notice')||{}).textContent||''`))
			b.t.Fatalf("waiting for %s (%s): not within 30s; notice: %q; console errors: %v", what, cond, notice, b.consoleErrors())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dispatchChange fires a change event on the element, as a user's pick does.
func dispatchChange(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(
			`document.querySelector(%q).dispatchEvent(new Event('change'))`, sel)))
		return err
	})
}

// cells are the cell texts of the table row matching sel.
func (b *browser) cells(sel string) []string {
	b.t.Helper()
	return eval[[]string](b, fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map((c) => c.textContent.trim())`, sel+" td"))
}

// The two accounts the fake Binance holds for the test user.
var (
	webAccountA = fakeAccount{
		Spot: []fakeBalance{
			{Asset: "BTC", Free: "1.23456789", Locked: "0.10000000"},
			{Asset: "USDT", Free: "12345678901.12345678", Locked: "0.00000000"},
		},
		Futures: []fakeFuturesAsset{{Asset: "USDT", WalletBalance: "10000.12345678", UnrealizedProfit: "-12.50000000",
			MarginBalance: "9987.62345678", AvailableBalance: "9000.00000001"}},
		Positions: []fakePosition{{Symbol: "BTCUSDT", PositionSide: "BOTH", PositionAmt: "0.015", EntryPrice: "60000.1",
			MarkPrice: "60100.2", UnRealizedProfit: "1.5015", LiquidationPrice: "30000.5"}},
	}
	webAccountB = fakeAccount{
		Spot: []fakeBalance{{Asset: "ETH", Free: "7.00000001", Locked: "0.50000000"}},
		Futures: []fakeFuturesAsset{{Asset: "USDT", WalletBalance: "500.5", UnrealizedProfit: "0",
			MarginBalance: "500.5", AvailableBalance: "500.5"}},
	}
)

type webBalances struct {
	AccountID string `json:"account_id"`
	Spot      []struct {
		Asset, Free, Locked, Total string
	} `json:"spot"`
	Futures *struct {
		WalletBalance    string `json:"wallet_balance"`
		UnrealizedPnL    string `json:"unrealized_pnl"`
		MarginBalance    string `json:"margin_balance"`
		AvailableBalance string `json:"available_balance"`
	} `json:"futures"`
	EquityUSDT *string `json:"equity_usdt"`
	Values     []struct {
		Asset     string  `json:"asset"`
		ValueUSDT *string `json:"value_usdt"`
	} `json:"values"`
}

func TestDashboardInBrowser(t *testing.T) {
	chromium(t)
	plugins := passphrasePlugins()

	f := hosttest.StartFake(t, bins.fakeBinance)
	keyA := fakeKey{APIKey: "webKeyA" + randHex(t), Secret: "webSecretA" + randHex(t), EnableReading: true, EnableFutures: true}
	// B's key may withdraw: the page must warn about it.
	keyB := fakeKey{APIKey: "webKeyB" + randHex(t), Secret: "webSecretB" + randHex(t), EnableReading: true, EnableFutures: true,
		EnableWithdrawals: true}
	f.AddAccount(keyA, webAccountA)
	f.AddAccount(keyB, webAccountB)

	dir := t.TempDir()
	pdir := filepath.Join(dir, "plugins")
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		t.Fatal(err)
	}
	hosttest.InstallPlugin(t, bins.binance, pdir, "gahost-plugin-binance")
	hosttest.InstallPlugin(t, plugins["bitget"], pdir, "gahost-plugin-bitget")
	hosttest.InstallPlugin(t, plugins["okx"], pdir, "gahost-plugin-okx")
	d := hosttest.Start(t, bins.daemon, dir, hosttest.Options{
		PluginDir:  pdir,
		Env:        []string{"GAHOST_MASTER_KEY="},
		ConfigBody: fmt.Sprintf("exchange \"binance\" {\n  endpoints = {\n    spot    = %q\n    futures = %q\n  }\n}\n", f.URL, f.URL),
	})
	for _, name := range []string{"binance", "bitget", "okx"} {
		d.WaitExchange(name, 30*time.Second, func(e hosttest.Exchange, ok bool) bool { return ok && e.Status == "ready" })
	}
	const user, password = "alice", "alice-browser-pass-2026"
	if code := d.Do("POST", "/api/v1/users", map[string]any{"username": user, "password": password}, nil); code != 201 {
		t.Fatalf("create user: %d", code)
	}
	var login struct{ Token string }
	if code := d.DoAs("", "POST", "/api/v1/auth/login", map[string]any{"username": user, "password": password}, &login); code != 200 {
		t.Fatalf("login: %d", code)
	}

	base := "http://" + d.Addr
	b := newBrowser(t, base)

	// A page that needs a session sends the browser to sign in.
	b.run("open /", chromedp.Navigate(base+"/"))
	b.waitJS("the sign-in page", `location.pathname === '/login' && document.getElementById('login-form')`)
	b.screenshot("login")
	b.run("wrong password",
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), "not-the-password"),
		chromedp.Click(chromedp.CSS("#login-submit")))
	b.waitJS("the refusal", `document.querySelector('#notice .msg.error')`)
	if msg := b.text("#notice"); !strings.Contains(msg, "invalid_credentials") {
		t.Errorf("a wrong password shows %q", msg)
	}
	// The refusal's 401 is logged by the browser; it is the one error expected.
	b.forgive("401", "/api/v1/auth/login")
	eval[any](b, `document.getElementById('password').value = ''`)
	b.run("sign in",
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login-submit")))
	b.waitJS("the overview", `location.pathname === '/' && document.getElementById('username') &&
		document.getElementById('username').textContent === 'alice'`)
	b.waitJS("the empty state", `document.querySelector('#sync a[href="/accounts"]')`)

	// The exchange picker asks for a passphrase only where the plugin needs one.
	b.run("accounts page", chromedp.Navigate(base+"/accounts"))
	b.waitJS("the exchange picker", `document.querySelectorAll('#add-exchange option').length === 3`)
	for _, c := range []struct {
		exchange string
		want     bool
	}{{"bitget", true}, {"binance", false}, {"okx", true}, {"binance", false}} {
		b.run("pick "+c.exchange, chromedp.SetValue(chromedp.CSS("#add-exchange"), c.exchange),
			dispatchChange("#add-exchange"))
		shown := eval[bool](b, `!document.getElementById('passphrase-row').hidden && document.getElementById('add-passphrase').required`)
		if shown != c.want {
			t.Errorf("exchange %s: passphrase field shown = %v, want %v", c.exchange, shown, c.want)
		}
	}

	// Add both accounts through the form, with the keys checked by the fake.
	addAccount := func(name string, k fakeKey) {
		t.Helper()
		b.run("add "+name,
			chromedp.SetValue(chromedp.CSS("#add-exchange"), "binance"),
			chromedp.SendKeys(chromedp.CSS("#add-name"), name),
			chromedp.SendKeys(chromedp.CSS("#add-key"), k.APIKey),
			chromedp.SendKeys(chromedp.CSS("#add-secret"), k.Secret),
			chromedp.Click(chromedp.CSS("#add-submit")))
		b.waitJS("account "+name+" added", fmt.Sprintf(`(document.getElementById('added')||{}).textContent?.includes(%q)`, name))
		// The check's verdict: the key's permissions, and a warning when
		// it may withdraw.
		if got := b.text("#add-result .perms"); !strings.Contains(got, "Key permissions: read") || strings.Contains(got, "withdrawal") != k.EnableWithdrawals {
			t.Errorf("account %s: the page shows %q for a key with withdrawals %v", name, got, k.EnableWithdrawals)
		}
		if warned := eval[bool](b, `!!document.querySelector('#add-result #withdraw-warning')`); warned != k.EnableWithdrawals {
			t.Errorf("account %s: withdrawal warning shown = %v, want %v", name, warned, k.EnableWithdrawals)
		}
	}
	addAccount("Binance A", keyA)
	addAccount("Binance B", keyB)
	b.waitJS("both accounts listed", `document.querySelectorAll('#accounts tr[data-id]').length === 2`)
	b.screenshot("accounts")
	if n := f.Calls("/sapi/v1/account/apiRestrictions"); n != 2 {
		t.Errorf("the fake checked %d keys, want 2", n)
	}

	// The overview shows the fake's exact balances after a sync now, and
	// what the API answers.
	checkOverview := func(acct fakeAccount, spot map[string][3]string) {
		t.Helper()
		b.run("overview", chromedp.Navigate(base+"/"))
		b.waitJS("the sync button", `document.getElementById('sync-now') && !document.getElementById('sync-now').disabled`)
		b.run("sync now", chromedp.Click(chromedp.CSS("#sync-now")))
		b.waitJS("the sync's end", `(document.getElementById('notice')||{}).textContent?.startsWith('Sync finished: ok')`)
		b.waitJS("the balances", `document.querySelectorAll('#spot tr[data-asset]').length > 0 && !document.getElementById('sync-progress')`)
		var api webBalances
		if code := d.DoAs(login.Token, "GET", "/api/v1/dashboard/balances", nil, &api); code != 200 {
			t.Fatalf("balances: %d", code)
		}
		rows := eval[int](b, `document.querySelectorAll('#spot tr[data-asset]').length`)
		if rows != len(api.Spot) || rows != len(spot) {
			t.Errorf("the overview lists %d spot balances, the API %d, the fake %d", rows, len(api.Spot), len(spot))
		}
		for _, s := range api.Spot {
			got := b.cells(fmt.Sprintf(`#spot tr[data-asset=%q]`, s.Asset))
			if want := []string{s.Asset, s.Free, s.Locked, s.Total}; len(got) != 5 || !slices.Equal(got[:4], want) {
				t.Errorf("spot %s: the page shows %q, the API %q", s.Asset, got, want)
			}
			// The value column: the API's USDT value, or a dash and why.
			for _, v := range api.Values {
				if v.Asset == s.Asset && len(got) == 5 && ((v.ValueUSDT != nil && got[4] != *v.ValueUSDT) ||
					(v.ValueUSDT == nil && !strings.HasPrefix(got[4], "—"))) {
					t.Errorf("spot %s: the page values it at %q, the API at %v", s.Asset, got[4], v.ValueUSDT)
				}
			}
			if f := spot[s.Asset]; f != [3]string{s.Free, s.Locked, s.Total} {
				t.Errorf("spot %s: the API says %s/%s/%s, the fake holds %v", s.Asset, s.Free, s.Locked, s.Total, f)
			}
		}
		// The equity card shows what the API answers. The page re-renders as
		// prices arrive, so both are read again until they agree (or time
		// runs out), never from a node the page is replacing.
		var gotEquity, wantEquity string
		for deadline := time.Now().Add(15 * time.Second); ; {
			var now webBalances
			if code := d.DoAs(login.Token, "GET", "/api/v1/dashboard/balances", nil, &now); code != 200 {
				t.Fatalf("balances: %d", code)
			}
			wantEquity = "—"
			if now.EquityUSDT != nil {
				wantEquity = *now.EquityUSDT
			}
			gotEquity = eval[string](b, `(document.querySelector('#summary [data-key="equity_usdt"] .v')||{}).textContent||''`)
			if gotEquity == wantEquity || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if gotEquity != wantEquity {
			t.Errorf("equity: the page shows %q, the API %q", gotEquity, wantEquity)
		}
		fut := acct.Futures[0]
		for key, want := range map[string]string{
			"wallet_balance": api.Futures.WalletBalance, "margin_balance": api.Futures.MarginBalance,
			"unrealized_pnl": api.Futures.UnrealizedPnL, "available_balance": api.Futures.AvailableBalance,
		} {
			if got := b.text(fmt.Sprintf(`#futures-cards [data-key=%q] .v`, key)); got != want {
				t.Errorf("futures %s: the page shows %q, the API %q", key, got, want)
			}
		}
		if !decimalEqual(api.Futures.MarginBalance, fut.MarginBalance) || !decimalEqual(api.Futures.WalletBalance, fut.WalletBalance) {
			t.Errorf("futures: the API says %+v, the fake holds %+v", *api.Futures, fut)
		}
	}
	checkOverview(webAccountA, map[string][3]string{
		"BTC":  {"1.23456789", "0.1", "1.33456789"},
		"USDT": {"12345678901.12345678", "0", "12345678901.12345678"},
	})
	if got := b.cells(`#positions tr[data-symbol="BTC/USDT:USDT"]`); len(got) < 5 || got[1] != "long" || got[2] != "0.015" || got[3] != "60000.1" || got[4] != "60100.2" {
		t.Errorf("the position row shows %q", got)
	}
	b.screenshot("overview")

	// Switch the main account with the selector.
	idB := eval[string](b, `Array.from(document.querySelectorAll('#main-select option')).find((o) => o.textContent.startsWith('Binance B')).value`)
	b.run("make B main", chromedp.SetValue(chromedp.CSS("#main-select"), idB), chromedp.Click(chromedp.CSS("#make-main")))
	b.waitJS("B is main", `(document.getElementById('notice')||{}).textContent?.includes('Binance B is now the main account')`)
	var accts []struct {
		ID     string `json:"id"`
		IsMain bool   `json:"is_main"`
	}
	d.DoAs(login.Token, "GET", "/api/v1/exchange-accounts", nil, &accts)
	for _, a := range accts {
		if a.IsMain != (a.ID == idB) {
			t.Errorf("after the switch account %s is_main = %v", a.ID, a.IsMain)
		}
	}
	checkOverview(webAccountB, map[string][3]string{"ETH": {"7.00000001", "0.5", "7.50000001"}})
	b.screenshot("overview-switched")

	// On a phone-sized screen the page fits its width; wide tables scroll
	// inside their own box.
	b.run("phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)), chromedp.Reload())
	b.waitJS("the overview on a phone", `document.querySelectorAll('#spot tr[data-asset]').length > 0`)
	if w := eval[int](b, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		t.Errorf("on a 390 px wide screen the overview is %d px too wide", w)
	}
	b.screenshot("overview-phone")
	b.run("desktop size", chromedp.EmulateViewport(1280, 900))

	// A dry-run webhook: URL and secret shown once, then a test alert.
	b.run("webhooks page", chromedp.Navigate(base+"/webhooks"))
	b.waitJS("the account picker", `document.querySelectorAll('#hook-account option').length === 2`)
	b.run("create webhook",
		chromedp.SendKeys(chromedp.CSS("#hook-name"), "TV test"),
		chromedp.SendKeys(chromedp.CSS("#hook-symbols"), "ETH/USDT"),
		chromedp.SetValue(chromedp.CSS("#hook-market"), "spot"),
		chromedp.Click(chromedp.CSS("#hook-submit")))
	b.waitJS("the new webhook", `document.getElementById('hook-url')`)
	hookURL, secret := b.text("#hook-url"), b.text("#hook-secret")
	if !strings.HasPrefix(hookURL, base+"/hooks/gahwh_") || !strings.HasPrefix(secret, "gahws_") {
		t.Errorf("shown once: url %q, secret %q", hookURL, secret)
	}
	var template map[string]any
	if err := json.Unmarshal([]byte(b.text("#hook-template")), &template); err != nil || template["secret"] != secret {
		t.Errorf("the alert template %v (%v) does not carry the secret", template, err)
	}
	// The test form judges the alert with the account's real data and the
	// exchange's prices, placing nothing: a TradingView ticker resolved, the
	// quantity rounded down to the lot step, each check shown.
	b.run("test alert", chromedp.SetValue(chromedp.CSS("#test-action"), "sell"),
		chromedp.SetValue(chromedp.CSS("#test-symbol"), "BINANCE:ETHUSDT"),
		chromedp.SetValue(chromedp.CSS("#test-quantity"), "0.0123456"),
		chromedp.Click(chromedp.CSS("#test-submit")))
	b.waitJS("the test's answer", `document.getElementById('test-answer')`)
	var answer struct {
		Status     string `json:"status"`
		WouldPlace bool   `json:"would_place"`
		Resolution struct {
			Symbol, Native, Method string
		} `json:"resolution"`
		Order struct {
			Side, Symbol, Quantity string
		} `json:"order"`
		Notional string `json:"notional"`
	}
	if err := json.Unmarshal([]byte(b.text("#test-answer")), &answer); err != nil {
		t.Fatal(err)
	}
	if answer.Status != "test" || !answer.WouldPlace || answer.Order.Side != "sell" || answer.Order.Symbol != "ETH/USDT" ||
		answer.Order.Quantity != "0.0123" || answer.Resolution.Native != "ETHUSDT" || answer.Resolution.Method != "tradingview" ||
		answer.Notional != "36.9" {
		t.Errorf("test alert answered %+v: %s", answer, b.text("#test-answer"))
	}
	if n := eval[int](b, `document.querySelectorAll('#test-verdict tr[data-check]').length`); n != 9 {
		t.Errorf("the verdict shows %d checks, want 9", n)
	}
	if got := b.text(`#test-verdict tr[data-check="min_quantity"]`); !strings.Contains(got, "pass") || !strings.Contains(got, "0.0123") {
		t.Errorf("the min_quantity check shows %q", got)
	}
	if !strings.Contains(b.text("#test-outcome"), "would place") {
		t.Errorf("the outcome reads %q", b.text("#test-outcome"))
	}
	b.waitJS("the delivery", `document.querySelectorAll('#deliveries tbody tr').length === 1`)
	if got := b.text("#deliveries tbody tr"); !strings.Contains(got, "test") || !strings.Contains(got, "BINANCE:ETHUSDT → ETH/USDT") {
		t.Errorf("the delivery row reads %q", got)
	}
	// A spot close sells the free balance of the synced snapshot
	// (7.00000001 ETH) rounded down to the lot step (0.0001).
	b.run("test a close", chromedp.SetValue(chromedp.CSS("#test-action"), "close"),
		chromedp.SetValue(chromedp.CSS("#test-symbol"), "ETH/USDT"),
		chromedp.Click(chromedp.CSS("#test-submit")))
	b.waitJS("the close's verdict", `(() => { const o = JSON.parse(document.getElementById('test-answer').textContent).order;
		return o && o.side === 'sell' && o.quantity === '7'; })()`)

	// Any webhook shows its template and the test form again, with the
	// secret left out.
	b.run("details", chromedp.Click(chromedp.CSS(`#webhooks button[aria-label^="Template"]`)))
	b.waitJS("the details", `document.getElementById('hook-details')`)
	if tmpl := b.text("#hook-template"); strings.Contains(tmpl, secret) || !strings.Contains(tmpl, "{{strategy.order.contracts}}") {
		t.Errorf("the details template reads %q", tmpl)
	}
	if note := b.text("#hook-url-note"); !strings.Contains(note, "public_url") {
		t.Errorf("the URL note reads %q", note)
	}
	b.screenshot("webhooks")

	for _, page := range []string{"exchanges", "password", "admin"} {
		b.run(page, chromedp.Navigate(base+"/"+page))
		b.waitJS(page+" page", `document.getElementById('username')`)
		switch page {
		case "exchanges":
			b.waitJS("the exchange rows", `document.querySelectorAll('#exchanges tr[data-exchange]').length === 3`)
			// Binance declares two per-IP pools; the page shows each one's use.
			b.waitJS("binance's budget", `/request_weight: \d+ \/ 6000 per 60 s \(\d+%\); futures_request_weight: \d+ \/ 2400 per 60 s/.test(document.querySelector('#exchanges tr[data-exchange=binance]').textContent)`)
		case "admin":
			b.waitJS("the refusal", `(document.getElementById('notice')||{}).textContent?.includes('for admins')`)
		}
		b.screenshot(page)
	}

	// The admin's view, with the admin's token as its session.
	eval[any](b, fmt.Sprintf(`sessionStorage.setItem('gahost.token', %q)`, d.Token))
	b.run("admin page", chromedp.Navigate(base+"/admin"))
	b.waitJS("the plugin list", `document.querySelectorAll('#plugins tr[data-exchange]').length === 3`)
	b.waitJS("the users", `document.querySelector('#users table, #users .msg')`)
	b.screenshot("admin-as-admin")

	b.run("sign out", chromedp.Click(chromedp.CSS("#signout")))
	b.waitJS("signed out", `location.pathname === '/login' && !sessionStorage.getItem('gahost.token')`)

	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
	b.mu.Lock()
	reqs := slices.Clone(b.requests)
	b.mu.Unlock()
	if len(reqs) < 20 {
		t.Errorf("only %d requests recorded; the recorder is off", len(reqs))
	}
	for _, r := range reqs {
		u, err := url.Parse(r)
		if err != nil || u.Scheme+"://"+u.Host != base {
			t.Errorf("the page requested %s, outside its origin %s", r, base)
		}
	}

	// The policy is enforced, not only sent: a request elsewhere is blocked.
	blocked, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`new Promise((resolve) => {
		document.addEventListener('securitypolicyviolation', (e) => resolve('blocked ' + e.effectiveDirective), { once: true });
		fetch('http://127.0.0.2:9/x').then(() => resolve('fetched'), () => {});
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if blocked != "blocked connect-src" {
		t.Errorf("a fetch to another origin: %q, want it blocked by connect-src", blocked)
	}
}

// decimalEqual compares two decimal strings by value ("0.10000000" = "0.1").
func decimalEqual(a, b string) bool {
	trim := func(s string) string {
		if strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
		return s
	}
	return trim(a) == trim(b)
}

// exceptionDesc is the thrown value's description, where the browser gives one.
func exceptionDesc(d *runtime.ExceptionDetails) string {
	if d == nil || d.Exception == nil {
		return ""
	}
	return d.Exception.Description
}
