package bybit

// The private stream (sdk.Streamer): wss://stream.bybit.com/v5/private.
//
// One connection carries one account: it logs in with one auth op
// (expires in Unix ms, the lower-case hex HMAC-SHA256 of "GET/realtime" +
// expires) and Bybit has no way to log a second account into it. The
// session subscribes wallet (balances and the USDT futures figures) and
// position.linear as the host asks, pings with {"op":"ping"} every 20 s
// (Bybit cuts a connection silent for 10 minutes) and treats a pong that
// does not come as a dead connection.
//
// Bybit sends no snapshot on subscribe, and no sequence that can reveal a
// lost push (position's seq orders a symbol's rows but is not
// contiguous). So each session subscribes, buffers, seeds from REST
// (wallet-balance, position/list), applies the buffered pushes created
// since, and goes live with the absolute values the pushes carry: every
// wallet push has the account-level figures and coin rows (a row is an
// upsert; a coin a push leaves out keeps its value, as Bybit does not say
// whether coin[] lists every coin), and every position row is the
// position whole. Any close, missed pong, auth or subscribe refusal ends
// the session; the next one seeds again.
//
// Open questions of Bybit's docs and what the connector does about each:
//   - The cap on concurrent private connections per IP is undocumented;
//     the connector keeps to 1,000, the documented figure for market-data
//     connections (StreamOptions.MaxConnections). Accounts past it fail
//     their watch with stream.ErrCapReached and are polled.
//   - New connections: 500 per 5 minutes per IP, documented; a reconnect
//     storm queues behind a limiter shared by every account.
//   - A maximum connection lifetime is undocumented. As a precaution each
//     connection is replaced after 24 h, make-before-break: the new one is
//     subscribed and seeded before the old one closes, so the planned move
//     shows no gap and no resync.
//   - The V5 texts of a refused auth are undocumented ("Params Error" is
//     what users report for a bad signature and a late expires alike), and
//     whether the socket then closes. The connector closes it and asks REST
//     (account/info, with the same key) whether the key itself is bad:
//     then the watch fails as an authentication error; otherwise it is
//     treated as passing (a clock step, say) and retried with backoff.
//   - Whether a private subscribe ack echoes req_id is unconfirmed; the
//     session has one request in flight at a time and matches acks by op.
//   - The inbound message rate on a private connection is undocumented; a
//     session sends three messages and then one ping per 20 s.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/sign"
	"github.com/globalautomation/gahost/sdk/stream"
	"github.com/shopspring/decimal"
)

// EndpointWS is the endpoint key of the private stream's base
// ("ws://127.0.0.1:1234" for a fake). Demo trading keys work only on
// wss://stream-demo.bybit.com, and regional accounts on their own hosts
// (stream.bybit.tr, ...): such accounts set it.
const EndpointWS = "private_ws"

const pathPrivateWS = "/v5/private"

var wsHosts = map[string]rest.Hosts{
	EndpointWS: {Mainnet: "wss://stream.bybit.com", Testnet: "wss://stream-testnet.bybit.com"},
}

// StreamOptions are the stream's clock and limits; zero fields take
// Bybit's documented values. Tests scale them down.
type StreamOptions struct {
	PingEvery      time.Duration // client ping period: 20 s, as Bybit recommends
	PongWait       time.Duration // how long a pong may take: 10 s
	Lifetime       time.Duration // when a connection is replaced: 24 h (Bybit documents no cut)
	AuthExpiry     time.Duration // how far ahead the auth's expires lies: 10 s
	ConnectLimit   int           // new connections per ConnectWindow per IP: 500 ...
	ConnectWindow  time.Duration // ... per 5 minutes
	MaxConnections int           // open connections per IP: 1,000 (undocumented for private)
	BackoffMin     time.Duration // 500 ms
	BackoffMax     time.Duration // 30 s
}

// streamState is what every account's stream shares: the limits per
// stream host (Bybit counts new connections per WebSocket domain).
type streamState struct {
	stream.Options[StreamOptions]
	hosts *stream.PerHost
}

// SetStreamOptions changes the stream's clock and limits; call it before
// the first Watch.
func (c *Connector) SetStreamOptions(o StreamOptions) { c.streams.Set(o) }

func (s *streamState) init() {
	s.Init(StreamOptions{
		PingEvery: 20 * time.Second, PongWait: 10 * time.Second, Lifetime: 24 * time.Hour,
		AuthExpiry: 10 * time.Second, ConnectWindow: 5 * time.Minute, BackoffMin: 500 * time.Millisecond,
		BackoffMax: 30 * time.Second, ConnectLimit: 500, MaxConnections: 1000}, func(o *StreamOptions) {
		s.hosts = &stream.PerHost{MaxConns: o.MaxConnections, ConnectLimit: o.ConnectLimit, ConnectWindow: o.ConnectWindow}
	})
}

// topics are the subscriptions the parts need. position.linear rather
// than position: the connector keeps USDT perpetuals only.
func topics(acct sdk.StreamAccount) []string {
	var out []string
	if acct.Wants(sdk.CapSpotBalances) || acct.Wants(sdk.CapFuturesAccount) {
		out = append(out, "wallet")
	}
	if acct.Wants(sdk.CapPositions) {
		out = append(out, "position.linear")
	}
	return out
}

var _ sdk.Streamer = (*Connector)(nil)

// Watch streams one account's wallet and USDT perpetual positions, as the
// host asks, one connection at a time except while one replaces another.
func (c *Connector) Watch(ctx context.Context, acct sdk.StreamAccount, emit func(sdk.StreamEvent)) error {
	c.streams.init()
	if len(topics(acct)) == 0 {
		return sdk.Errorf(sdk.KindInvalidRequest, "bybit: no part to stream")
	}
	w := &watcher{c: c, acct: acct, out: emit, switched: make(chan struct{}, 1)}
	return w.run(ctx)
}

// watcher runs one account's sessions: the current one, and while a
// connection is being replaced, its standby.
type watcher struct {
	c        *Connector
	acct     sdk.StreamAccount
	out      func(sdk.StreamEvent)
	switched chan struct{}

	mu      sync.Mutex
	cur     *session
	standby *session
	all     []*session      // every session started, waited for before Watch returns
	last    sdk.StreamState // the last state told to the host
	closed  bool            // Watch is returning: nothing more is emitted
}

type session struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when the session has ended, with err set
	err    error
}

// start begins a session; w.mu must be held.
func (w *watcher) startLocked(ctx context.Context) *session {
	sctx, cancel := context.WithCancel(ctx)
	s := &session{cancel: cancel, done: make(chan struct{})}
	w.all = append(w.all, s)
	go func() {
		defer close(s.done)
		s.err = w.c.session(sctx, w.acct, w.gate(s))
	}()
	return s
}

// gate lets the current session's events through. A standby's are held
// back until it is seeded; then it becomes the current session and the
// old one ends: the host sees the new seed as a change, not a reconnect.
func (w *watcher) gate(s *session) func(sdk.StreamEvent) {
	return func(ev sdk.StreamEvent) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.closed {
			return
		}
		if w.cur != s {
			if w.standby != s || ev.State != sdk.StreamConnected {
				return
			}
			old := w.cur
			w.cur, w.standby = s, nil
			old.cancel()
			if w.last == sdk.StreamConnected {
				ev.State = sdk.StreamData
			}
			select {
			case w.switched <- struct{}{}:
			default:
			}
		}
		w.emitLocked(ev)
	}
}

func (w *watcher) emitLocked(ev sdk.StreamEvent) {
	if ev.State != sdk.StreamData {
		w.last = ev.State
	}
	if ev.State != sdk.StreamData || ev.HasData() {
		w.out(ev)
	}
}

func (w *watcher) run(ctx context.Context) error {
	o := &w.c.streams.Opts
	bo := stream.Backoff{Min: o.BackoffMin, Max: o.BackoffMax}
	w.mu.Lock()
	w.cur = w.startLocked(ctx)
	w.mu.Unlock()
	move := time.NewTimer(stream.MoveAfter(w.c.streams.Opts.Lifetime))
	defer move.Stop()
	var retry <-chan time.Time // a standby that failed tries again
	defer func() {
		// Nothing is emitted once Watch returns: stop and wait for every
		// session.
		w.mu.Lock()
		w.closed = true
		all := w.all
		w.mu.Unlock()
		for _, s := range all {
			s.cancel()
			<-s.done
		}
	}()
	for {
		w.mu.Lock()
		cur, sb := w.cur, w.standby
		w.mu.Unlock()
		var sbDone chan struct{}
		if sb != nil {
			sbDone = sb.done
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.switched:
			move.Reset(stream.MoveAfter(w.c.streams.Opts.Lifetime))
			bo.Reset()
		case <-cur.done:
			err := cur.err
			w.mu.Lock()
			if w.cur != cur {
				w.mu.Unlock()
				continue // replaced by its standby
			}
			if ctx.Err() != nil {
				w.mu.Unlock()
				return nil
			}
			if stream.Permanent(err) || errors.Is(err, stream.ErrCapReached) {
				w.mu.Unlock()
				return err
			}
			w.emitLocked(sdk.StreamEvent{State: sdk.StreamResyncing, Reason: err.Error()})
			retry = nil // a new connection has its own lifetime
			if sb != nil {
				// The standby is already on its way: it takes over.
				w.cur, w.standby = sb, nil
				w.mu.Unlock()
				move.Reset(stream.MoveAfter(w.c.streams.Opts.Lifetime))
				continue
			}
			w.mu.Unlock()
			if !stream.Sleep(ctx, bo.Next()) {
				return nil
			}
			w.mu.Lock()
			w.cur = w.startLocked(ctx)
			w.mu.Unlock()
			move.Reset(stream.MoveAfter(w.c.streams.Opts.Lifetime))
		case <-move.C:
			w.mu.Lock()
			if w.standby == nil {
				w.standby = w.startLocked(ctx)
			}
			w.mu.Unlock()
		case <-sbDone:
			w.mu.Lock()
			if w.standby == sb {
				w.standby = nil
				// A failed standby is not news for the host: the current
				// connection still delivers. Try again after a while
				// (a full cap or refused keys included: the current
				// session meets those itself when it ends).
				retry = time.After(bo.Next())
			}
			w.mu.Unlock()
		case <-retry:
			retry = nil
			w.mu.Lock()
			if w.standby == nil {
				w.standby = w.startLocked(ctx)
			}
			w.mu.Unlock()
		}
	}
}

// --- one session: connect, auth, subscribe, seed, live ---

// wsMessage is every message /v5/private sends: op answers (auth,
// subscribe, pong) and topic pushes.
type wsMessage struct {
	Op           string          `json:"op"`
	Success      *bool           `json:"success"`
	RetMsg       string          `json:"ret_msg"`
	Topic        string          `json:"topic"`
	CreationTime int64           `json:"creationTime"`
	Data         json.RawMessage `json:"data"`
}

// errMissedPong ends a session whose connection stopped answering.
var errMissedPong = &sdk.Error{Kind: sdk.KindUnavailable, Message: "bybit: no pong from the private stream"}

// authArgs are the auth op's args: the key, expires in ms and the
// lower-case hex HMAC-SHA256 of "GET/realtime" + expires.
func authArgs(acct sdk.Account, expires int64) []any {
	e := strconv.FormatInt(expires, 10)
	return []any{acct.APIKey, expires, sign.Hex(acct.SecretKey, "GET/realtime"+e)}
}

func (c *Connector) session(ctx context.Context, acct sdk.StreamAccount, emit func(sdk.StreamEvent)) error {
	o := &c.streams.Opts
	if err := rest.NeedKeys("bybit", acct.Account); err != nil {
		return err
	}
	base := stream.Base(acct.Account, EndpointWS, wsHosts)
	lim := c.streams.hosts.For(base)
	release, err := lim.Conns.Take()
	if err != nil {
		return err
	}
	defer release()
	live := &liveState{seq: map[string]int64{}}
	if acct.Wants(sdk.CapPositions) {
		// Pushed positions carry no usable margin mode (tradeMode is
		// deprecated): the account's applies, read before the pushes that
		// need it can arrive.
		info, err := c.accountInfo(ctx, acct.Account)
		if err != nil {
			return err
		}
		live.mode = info.marginMode()
	}
	if err := lim.Connect.Wait(ctx); err != nil {
		return err
	}
	ws, err := stream.Dial(ctx, base+pathPrivateWS, nil)
	if err != nil {
		return fmt.Errorf("bybit: private stream: %w", err)
	}
	defer ws.CloseNow()
	ctx, cancel := context.WithCancel(ctx)
	var seeding sync.WaitGroup
	defer func() {
		cancel()
		seeding.Wait() // the seed emits nothing once the session is over
	}()

	msgs := make(chan wsMessage, 64)
	readErr := make(chan error, 1)
	go func() {
		for {
			b, err := stream.Read(ctx, ws)
			if err != nil {
				readErr <- err
				return
			}
			var m wsMessage
			if json.Unmarshal(b, &m) != nil {
				continue // not Bybit's; nothing in it can be used
			}
			select {
			case msgs <- m:
			case <-ctx.Done():
				return
			}
		}
	}()
	var reqs int
	send := func(op string, args []any) error {
		reqs++
		m := map[string]any{"req_id": strconv.Itoa(reqs), "op": op}
		if args != nil {
			m["args"] = args
		}
		b, _ := json.Marshal(m)
		if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
			return &sdk.Error{Kind: sdk.KindUnavailable, Message: "bybit: private stream write failed"}
		}
		return nil
	}

	now := time.Now()
	if off, ok := c.http.Offset(acct.Account, EndpointREST); ok {
		now = now.Add(off)
	}
	if err := send("auth", authArgs(acct.Account, now.Add(o.AuthExpiry).UnixMilli())); err != nil {
		return err
	}
	// An op's answer is due within PongWait; pings keep the rest alive.
	ackDue := time.NewTimer(o.PongWait)
	defer ackDue.Stop()
	ping := time.NewTicker(o.PingEvery)
	defer ping.Stop()
	var pongDue <-chan time.Time

	book := &stream.Book{Parts: acct.Parts}
	book.Begin()
	var seeded chan error
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-readErr:
			return &sdk.Error{Kind: sdk.KindUnavailable, Message: "bybit: private stream connection closed"}
		case <-ackDue.C:
			return &sdk.Error{Kind: sdk.KindUnavailable, Message: "bybit: private stream did not answer the login or subscription"}
		case <-ping.C:
			if err := send("ping", nil); err != nil {
				return err
			}
			if pongDue == nil {
				pongDue = time.After(o.PongWait)
			}
		case <-pongDue:
			return errMissedPong
		case err := <-seeded:
			if err != nil {
				return fmt.Errorf("bybit: seeding the stream: %w", err)
			}
			seeded = nil
		case m := <-msgs:
			switch {
			case m.Op == "pong":
				pongDue = nil
			case m.Op == "auth":
				if m.Success == nil || !*m.Success {
					return c.loginRefused(ctx, acct.Account, m.RetMsg)
				}
				if err := send("subscribe", anys(topics(acct))); err != nil {
					return err
				}
				ackDue.Reset(o.PongWait)
			case m.Op == "subscribe":
				if m.Success == nil || !*m.Success {
					return &sdk.Error{Kind: sdk.KindUnavailable, Message: "bybit: the private stream refused the subscription: " + redact.Clip(m.RetMsg, rest.MaxText)}
				}
				ackDue.Stop()
				// Subscribed: pushes are buffered from here, so the seed
				// may be taken.
				seeded = make(chan error, 1)
				seeding.Add(1)
				go func() {
					defer seeding.Done()
					s, err := c.streamSeed(ctx, acct)
					if err == nil {
						emit(book.Seed(s))
					}
					seeded <- err
				}()
			case m.Topic != "":
				d, err := live.delta(m, acct)
				if err != nil {
					return err
				}
				if d != nil {
					if ev, ok := book.Apply(*d); ok {
						emit(ev)
					}
				}
			}
		}
	}
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// loginRefused tells a bad key from a passing refusal: Bybit gives the
// same "Params Error" for both, so REST is asked with the same key.
func (c *Connector) loginRefused(ctx context.Context, acct sdk.Account, msg string) error {
	_, err := c.accountInfo(ctx, acct)
	if stream.Permanent(err) {
		return err
	}
	return &sdk.Error{Kind: sdk.KindUnavailable, Message: "bybit: the private stream refused the login: " + redact.Clip(msg, rest.MaxText)}
}

// seedGuard widens the seed's time backwards: a buffered push created up
// to this long before the REST reads began is applied again. Its values
// are absolute, so at worst a figure the seed already had is briefly
// older; without it, a clock that runs ahead of Bybit's could drop a
// change the seed did not see.
const seedGuard = time.Second

// streamSeed reads the parts from REST, as a poll would.
func (c *Connector) streamSeed(ctx context.Context, acct sdk.StreamAccount) (stream.Seed, error) {
	at := time.Now()
	if off, ok := c.http.Offset(acct.Account, EndpointREST); ok {
		at = at.Add(off)
	}
	return stream.ReadSeed(ctx, c, acct.Account, stream.Seed{At: at.Add(-seedGuard)},
		stream.Wanted(acct, sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions)...)
}

// liveState is what a session keeps to read pushes: the last cross
// sequence per position, to drop a row older than one already applied,
// and the account's margin mode. Only the session's loop uses it.
type liveState struct {
	mode sdk.MarginMode
	seq  map[string]int64
}

// delta reads one push. Unknown topics are ignored.
func (l *liveState) delta(m wsMessage, acct sdk.StreamAccount) (*stream.Delta, error) {
	at := time.UnixMilli(m.CreationTime)
	switch {
	case m.Topic == "wallet":
		var rows []walletAccount
		if err := json.Unmarshal(m.Data, &rows); err != nil {
			return nil, rest.Malformed("bybit", "wallet push", err)
		}
		return walletDelta(rows, at, acct)
	case m.Topic == "position" || strings.HasPrefix(m.Topic, "position."):
		var rows []wsPosition
		if err := json.Unmarshal(m.Data, &rows); err != nil {
			return nil, rest.Malformed("bybit", "position push", err)
		}
		return l.positionDelta(rows, at)
	}
	return nil, nil
}

// walletDelta maps a wallet push as SpotBalances and FuturesAccount map
// the REST answer, so that a reconciliation finds what the stream wrote.
func walletDelta(rows []walletAccount, at time.Time, acct sdk.StreamAccount) (*stream.Delta, error) {
	d := &stream.Delta{At: at}
	for _, a := range rows {
		if a.AccountType != accountTypeUnified && a.AccountType != "" {
			continue
		}
		for _, co := range a.Coin {
			if co.Coin == "" {
				return nil, rest.Malformed("bybit", "wallet push", errors.New("no coin name"))
			}
			var f num.Fields
			wallet := f.Parse("walletBalance", co.WalletBalance)
			locked := f.ParseOrZero("locked", co.Locked)
			borrowed := f.ParseOrZero("spotBorrow", co.SpotBorrow)
			if err := f.Err(); err != nil {
				return nil, rest.Malformed("bybit", "wallet push of "+redact.Clip(co.Coin, rest.MaxText), err)
			}
			d.Balances = append(d.Balances, sdk.Balance{Asset: co.Coin, Free: wallet.Sub(borrowed).Sub(locked), Locked: locked})
		}
		if !acct.Wants(sdk.CapFuturesAccount) {
			continue
		}
		fut, err := futuresUpdate(a)
		if err != nil {
			return nil, err
		}
		if fut != nil {
			d.Futures = fut
		}
	}
	if len(d.Balances) == 0 && d.Futures == nil {
		return nil, nil
	}
	return d, nil
}

// futuresUpdate is the change a wallet push makes to the USDT futures
// account: the USDT row's figures when the push has it, and the
// account-wide available balance, which other coins move too.
func futuresUpdate(a walletAccount) (func(*sdk.FuturesAccount), error) {
	var f num.Fields
	var avail *decimal.Decimal
	if a.TotalAvailableBalance != "" {
		v := f.Parse("totalAvailableBalance", a.TotalAvailableBalance)
		avail = &v
	}
	var usdt *walletCoin
	for i := range a.Coin {
		if a.Coin[i].Coin == settleUSDT {
			usdt = &a.Coin[i]
		}
	}
	var wallet, upl, equity, positionIM, orderIM decimal.Decimal
	if usdt != nil {
		wallet = f.Parse("walletBalance", usdt.WalletBalance)
		upl = f.ParseOrZero("unrealisedPnl", usdt.UnrealisedPnl)
		equity = f.ParseOrZero("equity", usdt.Equity)
		positionIM = f.ParseOrZero("totalPositionIM", usdt.TotalPositionIM)
		orderIM = f.ParseOrZero("totalOrderIM", usdt.TotalOrderIM)
	}
	if err := f.Err(); err != nil {
		return nil, rest.Malformed("bybit", "USDT wallet push", err)
	}
	if usdt == nil && avail == nil {
		return nil, nil
	}
	return func(fa *sdk.FuturesAccount) {
		fa.Asset = settleUSDT
		if usdt != nil {
			fa.WalletBalance, fa.UnrealizedPnL, fa.MarginBalance = wallet, upl, equity
		}
		switch {
		case avail != nil:
			fa.AvailableBalance = *avail
		case usdt != nil:
			// Isolated margin: no account-wide figure, estimated as
			// FuturesAccount does.
			fa.AvailableBalance = decimal.Max(wallet.Sub(positionIM).Sub(orderIM), decimal.Zero)
		}
	}, nil
}

// wsPosition is one row of a position push: REST's row, with entryPrice
// for avgPrice and the category and cross sequence added.
type wsPosition struct {
	Category      string `json:"category"`
	Symbol        string `json:"symbol"`
	PositionIdx   int    `json:"positionIdx"`
	Side          string `json:"side"`
	Size          string `json:"size"`
	EntryPrice    string `json:"entryPrice"`
	MarkPrice     string `json:"markPrice"`
	UnrealisedPnl string `json:"unrealisedPnl"`
	Leverage      string `json:"leverage"`
	LiqPrice      string `json:"liqPrice"`
	Seq           int64  `json:"seq"`
}

// usdtPerp reports whether a linear symbol settles in USDT, as
// position/list's settleCoin=USDT selects: BTCUSDT, BTCUSDT-26DEC25.
func usdtPerp(sym string) bool {
	pair, _, _ := strings.Cut(sym, "-")
	return strings.HasSuffix(pair, settleUSDT)
}

func (l *liveState) positionDelta(rows []wsPosition, at time.Time) (*stream.Delta, error) {
	d := &stream.Delta{At: at}
	for _, r := range rows {
		if r.Category != "" && r.Category != categoryLinear || !usdtPerp(r.Symbol) {
			continue
		}
		// seq orders one symbol's rows; -1 is a symbol never traded.
		k := r.Symbol + "/" + strconv.Itoa(r.PositionIdx)
		if last, ok := l.seq[k]; ok && r.Seq >= 0 && r.Seq < last {
			continue
		}
		l.seq[k] = r.Seq
		size, err := num.Parse(r.Size)
		if err != nil {
			return nil, rest.Malformed("bybit", "position push of "+redact.Clip(r.Symbol, rest.MaxText), err)
		}
		sym := unifiedLinear(r.Symbol)
		long, short := sdk.Position{Symbol: sym, Side: sdk.SideLong}, sdk.Position{Symbol: sym, Side: sdk.SideShort}
		if size.IsZero() {
			switch r.PositionIdx {
			case 1:
				d.Positions = append(d.Positions, long)
			case 2:
				d.Positions = append(d.Positions, short)
			default:
				// One-way and flat: whichever side was open is closed.
				d.Positions = append(d.Positions, long, short)
			}
			continue
		}
		p, err := toPosition(positionRow{Symbol: r.Symbol, PositionIdx: r.PositionIdx, Side: r.Side, Size: r.Size,
			AvgPrice: r.EntryPrice, MarkPrice: r.MarkPrice, UnrealisedPnl: r.UnrealisedPnl, Leverage: r.Leverage,
			LiqPrice: r.LiqPrice}, size.Abs(), l.mode)
		if err != nil {
			return nil, err
		}
		if r.PositionIdx == 0 {
			// One-way: a position that flipped leaves no row on its old
			// side.
			if p.Side == sdk.SideLong {
				d.Positions = append(d.Positions, short)
			} else {
				d.Positions = append(d.Positions, long)
			}
		}
		d.Positions = append(d.Positions, p)
	}
	if len(d.Positions) == 0 {
		return nil, nil
	}
	return d, nil
}
