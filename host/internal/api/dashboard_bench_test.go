package api

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/accounts"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/users"
	"github.com/globalautomation/gahost/sdk"
	"github.com/hashicorp/go-hclog"
	"github.com/shopspring/decimal"
)

// BenchmarkDashboardBalances is GET /api/v1/dashboard/balances over real
// loopback HTTP from 50 concurrent clients, each a different user with four
// synced accounts, against a store of 200 such users. It reports requests
// per second and the p99 latency; the clients run in the same process, so
// they share its CPU.
func BenchmarkDashboardBalances(b *testing.B) {
	const nUsers, perUser, clients = 200, 4, 50
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "gahost.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	key, err := secrets.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	cat := fakeCatalog{"fakex": {info: sdk.Info{Name: "fakex", Capabilities: []string{sdk.CapSpotBalances}}}}
	as, err := accounts.New(accounts.Config{Store: st, Keys: key, Exchanges: cat})
	if err != nil {
		b.Fatal(err)
	}
	us, err := users.New(users.Config{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	var tokens []string
	for u := range nUsers {
		user, token, err := us.Create(ctx, users.NewUser{Username: fmt.Sprint("u", u)})
		if err != nil {
			b.Fatal(err)
		}
		tokens = append(tokens, token)
		for i := range perUser {
			a, err := as.Create(ctx, user.ID, accounts.NewAccount{Name: fmt.Sprint(i), Exchange: "fakex",
				APIKey: fmt.Sprintf("key-%d-%d", u, i), SecretKey: "s"})
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			if err := st.PutSyncResult(ctx, a.ID, store.SyncResult{Fresh: benchSnapshot(now), State: store.SyncState{Status: store.SyncOK, LastSyncAt: now}}); err != nil {
				b.Fatal(err)
			}
		}
	}
	h := New(Deps{Store: st, Accounts: as, Users: us, Logger: hclog.NewNullLogger()})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/api/v1/dashboard/balances"
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients}}

	var mu sync.Mutex
	var all []time.Duration
	var failed int
	next := make(chan struct{}, clients)
	b.ResetTimer()
	start, cpu0 := time.Now(), processCPU()
	var wg sync.WaitGroup
	for c := range clients {
		token := tokens[c%len(tokens)]
		wg.Go(func() {
			var lat []time.Duration
			bad := 0
			for range next {
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				t := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					bad++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad++
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			all = append(all, lat...)
			failed += bad
			mu.Unlock()
		})
	}
	for b.Loop() {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	took, cpu := time.Since(start), processCPU()-cpu0
	b.StopTimer()
	if failed > 0 {
		b.Fatalf("%d requests failed", failed)
	}
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/took.Seconds(), "req/s")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	// CPU per request, clients included: the figure that does not depend on
	// what else the machine is doing.
	b.ReportMetric(float64(cpu.Microseconds())/float64(len(all)), "cpu-µs/req")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchSnapshot(at time.Time) *store.Snapshot {
	d := decimal.RequireFromString
	return &store.Snapshot{
		SyncedAt: at,
		Spot: []store.Balance{
			{Asset: "BTC", Free: d("0.123456789012345678"), Locked: d("0.000000000000000001"), Total: d("0.123456789012345679")},
			{Asset: "ETH", Free: d("2.5"), Locked: d("0.25"), Total: d("2.75")},
			{Asset: "USDT", Free: d("1000.25"), Locked: d("0"), Total: d("1000.25")},
		},
		SpotAt: at,
		Futures: &store.FuturesAccount{Asset: "USDT", WalletBalance: d("5000.10"), UnrealizedPnL: d("-12.5"),
			MarginBalance: d("4987.60"), AvailableBalance: d("4000")},
		FuturesAt: at,
		Positions: []store.Position{{Symbol: "BTC/USDT:USDT", Side: "long", Size: d("0.010"), EntryPrice: d("60000.1"),
			MarkPrice: d("58750.1"), UnrealizedPnL: d("-12.5"), Leverage: d("10"), LiquidationPrice: d("54321.9"),
			MarginMode: "cross"}},
		PositionsAt: at,
	}
}
