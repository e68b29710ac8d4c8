package sdk

import (
	"os/exec"
	"testing"
	"time"
)

// waitExit returns when the process exits, not before.
func TestWaitExit(t *testing.T) {
	cmd := exec.Command("sleep", "0.3")
	if err := cmd.Start(); err != nil {
		t.Skip("no sleep command:", err)
	}
	t0 := time.Now()
	done := make(chan bool, 1)
	go func() { done <- waitExit(cmd.Process.Pid) }()
	select {
	case ok := <-done:
		if !ok {
			t.Skip("this kernel has no pidfd_open")
		}
		if d := time.Since(t0); d < 250*time.Millisecond {
			t.Errorf("waitExit returned after %s, the process sleeps 300ms", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("waitExit still waits 10s after the process exited")
	}
	_ = cmd.Wait()
}
