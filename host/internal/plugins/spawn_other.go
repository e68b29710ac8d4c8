//go:build !linux

package plugins

import (
	"os"
	"os/exec"
)

// Elsewhere there is no parent-death signal; the sdk's parent-pid watch in
// each plugin is what ends it after a host crash.

func lockThread() {}

func prepareCmd(*exec.Cmd) {}

// killGroup: without a process group of its own, only the plugin process
// itself can be killed, which go-plugin does.
func killGroup(*exec.Cmd) {}

// claimSocketDir: without flock there is no owner lock, and so no cleanup
// of directories left by a killed daemon.
func claimSocketDir(string) (*os.File, error) { return nil, nil }

func cleanStaleSocketDirs(string) ([]string, error) { return nil, nil }
