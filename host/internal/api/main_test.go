package api

import (
	"testing"

	"go.uber.org/goleak"
)

// No handler may leave a goroutine behind once its request is answered.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
