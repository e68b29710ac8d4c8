//go:build linux

package plugins

import (
	"os/exec"
	"runtime"
	"syscall"
)

// Linux sends a plugin SIGKILL when the thread that forked it exits
// (PR_SET_PDEATHSIG), which also covers a kill -9 of the host. Go may retire
// the thread a goroutine ran on at any time, so each plugin is started and
// kept from a goroutine locked to its own thread for the plugin's life (see
// instance.run): that thread exits only after the plugin has been stopped.

func lockThread() { runtime.LockOSThread() }

func prepareCmd(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Pdeathsig: syscall.SIGKILL,
		Setpgid:   true, // a Ctrl-C at the host's terminal must not reach plugins first
	}
}
