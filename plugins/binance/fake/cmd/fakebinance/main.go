// Command fakebinance runs the fake Binance of package fake as a program on
// loopback, for tests that start the gahost daemon and the plugin as
// processes, and for demos. It prints its URL and control address as one
// JSON line; see fakex.Main for the flags and the control interface. It is
// for tests only and never listens beyond 127.0.0.1.
package main

import (
	"github.com/globalautomation/gahost/plugins/binance/fake"
	"github.com/globalautomation/gahost/sdk/fakex"
)

func main() {
	f := fake.New()
	fakex.Main(f.Server, f.Seed)
}
