// Command fakebybit runs the fake Bybit of package fake as a program on
// loopback, for tests that start the gahost daemon and the plugin as
// processes, and for demos. It prints its addresses as one JSON line with
// the base of its private stream (the plugin's private_ws endpoint) and
// serves the control interface of fakews.Main; POST /spot sets a coin of
// the unified wallet. It is for tests only and never listens beyond
// 127.0.0.1.
package main

import (
	"github.com/globalautomation/gahost/plugins/bybit/fake"
	"github.com/globalautomation/gahost/sdk/fakews"
	"github.com/shopspring/decimal"
)

func main() {
	fakews.Main(func() (fakews.Command[fake.Key, fake.Account], error) {
		f := fake.New()
		return fakews.Command[fake.Key, fake.Account]{
			Server: f.Server, Add: f.Seed, Switches: f, Close: f.Close,
			StartWS: func() string { return f.StartWS(fake.WSConfig{}) },
			Stats:   func() any { return f.Stats() },
			// The unified wallet holds free and locked in one balance.
			SetSpot: func(apiKey, asset, free, locked string) {
				wallet := decimal.RequireFromString(free).Add(decimal.RequireFromString(locked)).String()
				f.SetCoin(apiKey, fake.Coin{Coin: asset, WalletBalance: wallet, Locked: locked, SpotBorrow: "0",
					Equity: wallet, UnrealisedPnl: "0", TotalOrderIM: "0", TotalPositionIM: "0"})
			},
		}, nil
	})
}
