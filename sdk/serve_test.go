package sdk

import (
	"os"
	"runtime"
	"testing"
)

// The connector's GOMAXPROCS: the option's, unless the variable is set.
func TestApplyMaxProcs(t *testing.T) {
	was := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(was) })
	runtime.GOMAXPROCS(4)
	t.Setenv("GOMAXPROCS", "4")
	applyMaxProcs(DefaultMaxProcs)
	if got := runtime.GOMAXPROCS(0); got != 4 {
		t.Errorf("with GOMAXPROCS=4 set: %d Ps", got)
	}
	os.Unsetenv("GOMAXPROCS")
	applyMaxProcs(0)
	if got := runtime.GOMAXPROCS(0); got != 4 {
		t.Errorf("WithMaxProcs(0) changed the Ps to %d", got)
	}
	applyMaxProcs(DefaultMaxProcs)
	if got := runtime.GOMAXPROCS(0); got != DefaultMaxProcs {
		t.Errorf("default: %d Ps, want %d", got, DefaultMaxProcs)
	}
}
