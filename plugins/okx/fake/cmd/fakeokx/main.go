// Command fakeokx runs the fake OKX of package fake as a program on
// loopback, for tests that start the gahost daemon and the plugin as
// processes, and for demos. It prints its addresses as one JSON line with
// the base of its private stream (the plugin's ws endpoint) and serves
// the control interface of fakews.Main; POST /spot sets a currency of the
// trading account. It is for tests only and never listens beyond
// 127.0.0.1.
package main

import (
	"github.com/globalautomation/gahost/plugins/okx/fake"
	"github.com/globalautomation/gahost/sdk/fakews"
	"github.com/shopspring/decimal"
)

func main() {
	fakews.Main(func() (fakews.Command[fake.Key, fake.Account], error) {
		f := fake.New()
		return fakews.Command[fake.Key, fake.Account]{
			Server: f.Server, Add: f.Seed, Switches: f, Close: f.Close,
			StartWS: func() string { return f.StartWS(fake.WSConfig{}) },
			Stats:   func() any { return f.WSStats() },
			// Free is what is available; the equity holds the frozen part too.
			SetSpot: func(apiKey, asset, free, locked string) {
				eq := decimal.RequireFromString(free).Add(decimal.RequireFromString(locked)).String()
				f.SetBalance(apiKey, fake.Balance{Ccy: asset, Eq: eq, CashBal: eq, AvailBal: free, AvailEq: free,
					FrozenBal: locked, Upl: "0"})
			},
		}, nil
	})
}
