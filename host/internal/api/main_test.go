package api

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// No handler may leave a goroutine behind once its request is answered.
// With GAHOST_DASHBOARD_LOADGEN set the binary is the load generator of
// BenchmarkDashboardBalances instead, and runs no test.
func TestMain(m *testing.M) {
	if os.Getenv(loadgenEnv) != "" {
		if err := runLoadgen(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}
