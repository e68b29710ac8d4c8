// Command fakebinance runs the fake Binance of package fake as a program on
// loopback, for tests that start the gahost daemon and the plugin as
// processes, and for demos. It prints its addresses as one JSON line with
// the base of its private streams (the plugin's spot_ws and futures_ws
// endpoints) and serves the control interface of fakews.Main (see
// fake.Server.Command).
//
// Flags -ws-conn-limit, -ws-conn-window and -ws-lifetime change the
// streams' per-IP connection rate and connection lifetime from Binance's
// (300 per 5 minutes, 24 h), for tests that run on a scaled clock. It is
// for tests only and never listens beyond 127.0.0.1.
//
// Flags -spot-weight and -futures-weight replace the per-minute weight
// limits of the two hosts (Binance's 6000 and 2400): a benchmark that syncs
// back to back, with no budget, raises them so that it measures the client
// instead of the fake's 429s.
package main

import (
	"errors"
	"flag"

	"github.com/globalautomation/gahost/plugins/binance/fake"
	"github.com/globalautomation/gahost/sdk/fakews"
)

func main() {
	var ws fake.WSConfig
	flag.IntVar(&ws.ConnLimit, "ws-conn-limit", 0, "new stream connections per -ws-conn-window per IP (default Binance's 300)")
	flag.DurationVar(&ws.ConnWindow, "ws-conn-window", 0, "the window of -ws-conn-limit (default 5m)")
	flag.DurationVar(&ws.Lifetime, "ws-lifetime", 0, "a stream connection's lifetime (default 24h)")
	spot := flag.Int64("spot-weight", 6000, "request weight per minute the spot API allows one IP")
	futures := flag.Int64("futures-weight", 2400, "request weight per minute the USDⓈ-M API allows one IP")
	fakews.Main(func() (fakews.Command[fake.Key, fake.Account], error) {
		if *spot <= 0 || *futures <= 0 {
			return fakews.Command[fake.Key, fake.Account]{}, errors.New("-spot-weight and -futures-weight must be positive")
		}
		return fake.New(fake.WithWeightLimits(*spot, *futures)).Command(ws), nil
	})
}
