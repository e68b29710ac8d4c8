// Command fakebinance runs the fake Binance of package fake as a program on
// loopback, for tests that start the gahost daemon and the plugin as
// processes, and for demos. It prints its URL and control address as one
// JSON line; see fakex.Main for the flags and the control interface. It is
// for tests only and never listens beyond 127.0.0.1.
//
// FAKEBINANCE_SPOT_WEIGHT and FAKEBINANCE_FUTURES_WEIGHT, when set, replace
// the per-minute weight limits of the two hosts (Binance's 6000 and 2400):
// a benchmark that syncs back to back, with no budget, raises them so that
// it measures the client instead of the fake's 429s. They are environment
// variables, not flags, because the fake must exist before fakex.Main
// parses the flags.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/globalautomation/gahost/plugins/binance/fake"
	"github.com/globalautomation/gahost/sdk/fakex"
)

func main() {
	spot, err := limit("FAKEBINANCE_SPOT_WEIGHT", 6000)
	if err == nil {
		var futures int64
		if futures, err = limit("FAKEBINANCE_FUTURES_WEIGHT", 2400); err == nil {
			f := fake.New(fake.WithWeightLimits(spot, futures))
			fakex.Main(f.Server, f.Seed)
			return
		}
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(2)
}

func limit(name string, def int64) (int64, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive whole number", name, v)
	}
	return n, nil
}
