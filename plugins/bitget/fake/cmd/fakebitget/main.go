// Command fakebitget runs the fake Bitget of package fake as a program on
// loopback, for tests that start the gahost daemon and the plugin as
// processes, and for demos. It prints its addresses as one JSON line with
// the base of its private stream (the plugin's ws endpoint) and serves
// the control interface of fakews.Main; POST /spot sets a coin of the spot
// account (locked as frozen). It is for tests only and never listens
// beyond 127.0.0.1.
package main

import (
	"github.com/globalautomation/gahost/plugins/bitget/fake"
	"github.com/globalautomation/gahost/sdk/fakews"
)

func main() {
	fakews.Main(func() (fakews.Command[fake.Key, fake.Account], error) {
		f := fake.New()
		return fakews.Command[fake.Key, fake.Account]{
			Server: f.Server, Add: f.Seed, Switches: f, Close: f.Close,
			StartWS: func() string { return f.StartWS(fake.WSConfig{}) },
			Stats:   func() any { return f.Stats() },
			SetSpot: func(apiKey, asset, free, locked string) {
				f.SetSpot(apiKey, fake.Balance{Coin: asset, Available: free, Frozen: locked, Locked: "0"})
			},
		}, nil
	})
}
