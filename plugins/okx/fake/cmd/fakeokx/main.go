// Command fakeokx runs the fake OKX of package fake as a program on
// loopback, for tests that start the gahost daemon and the plugin as
// processes, and for demos. It prints its addresses as one JSON line with
// the base of its private stream (the plugin's ws endpoint) and serves the
// control interface of fakews.Main (see fake.Server.Command). Flag
// -ws-account-every replaces the account channel's regular snapshot
// (every 10 s), so that a test can tell healing by reconciliation from
// healing by that snapshot. It is for tests only and never listens beyond
// 127.0.0.1.
package main

import (
	"flag"

	"github.com/globalautomation/gahost/plugins/okx/fake"
	"github.com/globalautomation/gahost/sdk/fakews"
)

func main() {
	var ws fake.WSConfig
	flag.DurationVar(&ws.AccountEvery, "ws-account-every", 0, "the account channel's regular snapshot (default 10s)")
	fakews.Main(func() (fakews.Command[fake.Key, fake.Account], error) { return fake.New().Command(ws), nil })
}
