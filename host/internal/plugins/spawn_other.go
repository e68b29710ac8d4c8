//go:build !linux

package plugins

import "os/exec"

// Elsewhere there is no parent-death signal; the sdk's parent-pid watch in
// each plugin is what ends it after a host crash.

func lockThread() {}

func prepareCmd(*exec.Cmd) {}
