// Command gahost-demo shows gahost working without exchange keys: it starts
// the fake exchange of every connector on loopback, the daemon pointed at
// them, a demo user with an account on each exchange (one main) and a
// dry-run webhook, prints the dashboard's URL and the demo credentials, and
// keeps the fakes' prices, balances and positions moving until Ctrl-C,
// which stops every process it started. The daemon runs with private
// streams on: each fake pushes what the demo changes, in its exchange's
// own events, and the dashboard follows within seconds, as it would on
// the real exchanges. `make demo` builds everything and
// runs it.
//
// Everything listens on 127.0.0.1 only; the data lives in a temporary
// directory removed at the end (unless -keep).
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const (
	demoUser     = "demo"
	demoPassword = "gahost-demo-password"
	mainExchange = "binance"
)

func main() {
	bin := flag.String("bin", "bin", "directory of the built gahost, plugins/ and demo/fake<exchange> binaries")
	listen := flag.String("listen", "127.0.0.1:8080", "where the daemon listens (loopback only)")
	tick := flag.Duration("tick", 3*time.Second, "how often prices and balances move")
	keep := flag.Bool("keep", false, "keep the data directory at the end")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *bin, *listen, *tick, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "gahost-demo:", err)
		os.Exit(1)
	}
}

// fake is a running fake exchange.
type fake struct {
	ex               exchange
	url, control     string
	ws               string // the base of its private streams
	apiKey, secret   string
	passphrase       string
	proc             *proc
	state            account
	accountID        string
	accountName      string
	tickErrorsLogged bool
}

func run(ctx context.Context, bin, listen string, tick time.Duration, keep bool) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil || net.ParseIP(host) == nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("-listen %q: the demo listens on a loopback address only", listen)
	}
	if l, err := net.Listen("tcp", listen); err != nil {
		return fmt.Errorf("%s is taken (%v); run make demo DEMO_LISTEN=127.0.0.1:8081", listen, err)
	} else {
		l.Close()
	}
	bin, err = filepath.Abs(bin)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "gahost-demo-")
	if err != nil {
		return err
	}
	if keep {
		defer fmt.Println("data kept in", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	d, err := start(ctx, bin, dir, listen, "5s")
	if err != nil {
		return err
	}
	defer d.stop()

	fmt.Printf(`
gahost demo is running: five fake exchanges on loopback, no keys needed.

  Dashboard:  %s/
  Username:   %s
  Password:   %s
  Admin:      %s (token in %s)
  Daemon log: %s

Prices and balances move every %s and reach the dashboard through the
exchanges' private streams. Press Ctrl-C to stop everything.
`, d.base, demoUser, demoPassword, "admin", filepath.Join(dir, "data", "admin.token"), d.logPath, tick)

	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Println("\nstopping the demo")
			return nil
		case <-d.daemon.done:
			return fmt.Errorf("the daemon stopped; see %s", d.logPath)
		case <-t.C:
			d.market.tick()
			for _, f := range d.fakes {
				f.state.drift(d.market.rng)
				if err := f.push(ctx, d.market); err != nil && !f.tickErrorsLogged && ctx.Err() == nil {
					fmt.Fprintf(os.Stderr, "gahost-demo: updating the fake %s: %v\n", f.ex.name, err)
					f.tickErrorsLogged = true
				}
			}
		}
	}
}

// demo is a running demo: the fakes, the daemon and the demo user.
type demo struct {
	fakes   []*fake
	market  *market
	daemon  *proc
	procs   []*proc // in start order
	base    string  // the daemon's API, http://<listen>
	logPath string
	token   string // the demo user's
}

// start starts the fakes with their accounts, the daemon in dir (polling
// every pollEvery what does not stream) and the demo user, from the
// binaries under bin. On an error it stops what it started.
func start(ctx context.Context, bin, dir, listen, pollEvery string) (d *demo, err error) {
	d = &demo{market: newMarket(uint64(time.Now().UnixNano())), base: "http://" + listen,
		logPath: filepath.Join(dir, "gahost.log")}
	// Every process started is stopped on the way out of an error.
	defer func() {
		if err != nil {
			d.stop()
			d = nil
		}
	}()
	for _, ex := range exchanges {
		f := &fake{ex: ex, apiKey: "demo" + ex.name + randHex(12), secret: randHex(24), state: ex.start}
		if ex.passphrase {
			f.passphrase = "demo-" + randHex(6)
		}
		if err := f.start(filepath.Join(bin, "demo", "fake"+ex.name)); err != nil {
			return d, err
		}
		d.procs = append(d.procs, f.proc)
		d.fakes = append(d.fakes, f)
	}
	for _, f := range d.fakes {
		if err := f.push(ctx, d.market); err != nil {
			return d, err
		}
	}
	if d.daemon, err = startDaemon(bin, dir, listen, d.logPath, pollEvery, d.fakes); err != nil {
		return d, err
	}
	d.procs = append(d.procs, d.daemon)
	if err := waitReady(ctx, d.base, d.daemon, d.logPath); err != nil {
		return d, err
	}
	if d.token, err = seedUser(ctx, d.base, dir, d.fakes); err != nil {
		return d, fmt.Errorf("%w (daemon log: %s)", err, d.logPath)
	}
	return d, nil
}

// stop stops every process the demo started, the last started first.
func (d *demo) stop() {
	for i := len(d.procs) - 1; i >= 0; i-- {
		d.procs[i].stop()
	}
	d.procs = nil
}

// proc is a started process; done is closed once it has exited.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startProc starts cmd in its own process group, so the terminal's Ctrl-C
// reaches the demo alone, which then stops its processes in order.
func startProc(cmd *exec.Cmd) (*proc, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

// stop ends the process: SIGTERM, then SIGKILL after 10 s.
func (p *proc) stop() {
	if p == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// start runs the fake's command and reads its addresses.
func (f *fake) start(path string) error {
	cmd := exec.Command(path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if f.proc, err = startProc(cmd); err != nil {
		return fmt.Errorf("start the fake %s (%s): %w; run make demo, which builds it", f.ex.name, path, err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		f.proc.stop()
		return fmt.Errorf("fake %s printed no addresses: %w", f.ex.name, err)
	}
	var addr struct{ URL, Control, WS string }
	if err := json.Unmarshal([]byte(line), &addr); err != nil || addr.URL == "" || addr.Control == "" || addr.WS == "" {
		f.proc.stop()
		return fmt.Errorf("fake %s printed %q", f.ex.name, line)
	}
	f.url, f.control, f.ws = addr.URL, addr.Control, addr.WS
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return nil
}

// push gives the fake the account's state at the market's prices.
func (f *fake) push(ctx context.Context, m *market) error {
	body, err := json.Marshal(obj{"key": f.ex.key(f.apiKey, f.secret, f.passphrase), "account": f.ex.account(&f.state, m)})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.control+"/accounts", bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("fake %s refused the demo account: %s %s", f.ex.name, resp.Status, b)
	}
	return nil
}

// startDaemon writes the config and starts `gahost serve`, logging to
// logPath. Streams are on: the accounts are watched over each fake's
// private streams, and polled every pollEvery only while a stream is down.
func startDaemon(bin, dir, listen, logPath, pollEvery string, fakes []*fake) (*proc, error) {
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "data_dir = %q\nlog_level = \"info\"\napi {\n  listen = %q\n}\n", filepath.Join(dir, "data"), listen)
	fmt.Fprintf(&cfg, "encryption {\n  key_env = \"\"\n}\n")
	fmt.Fprintf(&cfg, "plugins {\n  dir = %q\n}\n", filepath.Join(bin, "plugins"))
	fmt.Fprintf(&cfg, "sync {\n  interval = %q\n  jitter = \"1s\"\n}\n", pollEvery)
	fmt.Fprintf(&cfg, "streams {\n  enabled = true\n}\n")
	for _, f := range fakes {
		fmt.Fprintf(&cfg, "exchange %q {\n  endpoints = {\n", f.ex.name)
		for _, k := range f.ex.endpoints {
			fmt.Fprintf(&cfg, "    %s = %q\n", k, f.url)
		}
		for _, k := range f.ex.streams {
			fmt.Fprintf(&cfg, "    %s = %q\n", k, f.ws)
		}
		fmt.Fprintf(&cfg, "  }\n}\n")
	}
	path := filepath.Join(dir, "config.hcl")
	if err := os.WriteFile(path, []byte(cfg.String()), 0o600); err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(bin, "gahost"), "serve", "-config", path)
	cmd.Stdout, cmd.Stderr = logf, logf
	p, err := startProc(cmd)
	logf.Close() // the child has its own copy
	if err != nil {
		return nil, fmt.Errorf("start the daemon: %w; run make demo, which builds it", err)
	}
	return p, nil
}

func waitReady(ctx context.Context, base string, daemon *proc, logPath string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-daemon.done:
			return fmt.Errorf("the daemon exited at start; see %s", logPath)
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("the daemon was not ready within a minute; see %s", logPath)
}

// seedUser creates the demo user, its accounts (one per fake, the main one
// on mainExchange) and a dry-run webhook, through the daemon's API, and
// returns the user's token.
func seedUser(ctx context.Context, base, dir string, fakes []*fake) (string, error) {
	tok, err := os.ReadFile(filepath.Join(dir, "data", "admin.token"))
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	c := &client{ctx: ctx, base: base, token: strings.TrimSpace(string(tok))}
	if err := c.do("POST", "/api/v1/users", obj{"username": demoUser, "password": demoPassword, "role": "user"}, nil); err != nil {
		return "", fmt.Errorf("create the demo user: %w", err)
	}
	var login struct{ Token string }
	if err := c.do("POST", "/api/v1/auth/login", obj{"username": demoUser, "password": demoPassword}, &login); err != nil {
		return "", fmt.Errorf("log in as the demo user: %w", err)
	}
	c.token = login.Token
	var mainID string
	for _, f := range fakes {
		body := obj{"name": f.ex.display + " demo", "exchange": f.ex.name,
			"api_key": f.apiKey, "secret_key": f.secret, "validate": true, "is_main": f.ex.name == mainExchange}
		if f.passphrase != "" {
			body["passphrase"] = f.passphrase
		}
		var a struct{ ID, Name string }
		if err := c.do("POST", "/api/v1/exchange-accounts", body, &a); err != nil {
			return "", fmt.Errorf("add the %s account: %w", f.ex.name, err)
		}
		f.accountID, f.accountName = a.ID, a.Name
		if f.ex.name == mainExchange {
			mainID = a.ID
		}
	}
	// A first sync of each, so the dashboard has data at once.
	for _, f := range fakes {
		if err := c.do("POST", "/api/v1/exchange-accounts/"+f.accountID+"/sync", nil, nil); err != nil {
			fmt.Fprintf(os.Stderr, "gahost-demo: first sync of %s: %v\n", f.ex.name, err)
		}
	}
	if mainID == "" {
		return "", errors.New("no main account was made")
	}
	err = c.do("POST", "/api/v1/webhooks", obj{"name": "TradingView BTC (dry run)", "exchange_account_id": mainID,
		"market": "futures", "allowed_symbols": []string{"BTC/USDT:USDT"}, "max_notional": "5000", "dry_run": true}, nil)
	if err != nil {
		return "", fmt.Errorf("create the demo webhook: %w", err)
	}
	return login.Token, nil
}

// client calls the daemon's API with a bearer token.
type client struct {
	ctx         context.Context
	base, token string
}

func (c *client) do(method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(c.ctx, method, c.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
