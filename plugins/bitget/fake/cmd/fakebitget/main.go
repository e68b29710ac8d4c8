// Command fakebitget runs the fake Bitget of package fake as a program on
// loopback, for tests that start the gahost daemon and the plugin as
// processes, and for demos. It prints its addresses as one JSON line with
// the base of its private stream (the plugin's ws endpoint) and serves the
// control interface of fakews.Main (see fake.Server.Command). It is for
// tests only and never listens beyond 127.0.0.1.
package main

import (
	"github.com/globalautomation/gahost/plugins/bitget/fake"
	"github.com/globalautomation/gahost/sdk/fakews"
)

func main() {
	fakews.Main(func() (fakews.Command[fake.Key, fake.Account], error) {
		return fake.New().Command(fake.WSConfig{}), nil
	})
}
