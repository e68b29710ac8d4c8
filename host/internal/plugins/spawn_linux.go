//go:build linux

package plugins

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
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

// killGroup kills the plugin's process group (its id is the plugin's pid,
// from Setpgid above): the plugin and every process it started that stayed
// in the group.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process == nil || cmd.Process.Pid <= 0 {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// A catalog's socket directory holds an owner file locked (flock) for the
// catalog's life. The kernel drops the lock when the process dies, however
// it dies, so at start a directory whose owner file is not locked was left by
// a daemon that was killed, and is removed.

// claimSocketDir creates dir's owner file and locks it. The lock is taken on
// a temporary name that is then renamed into place, so a cleanup in another
// daemon never sees an owner file that is not yet locked.
func claimSocketDir(dir string) (*os.File, error) {
	tmp := filepath.Join(dir, socketOwnerFile+".new")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_RDWR|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("plugin socket dir owner file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock plugin socket dir: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, socketOwnerFile)); err != nil {
		f.Close()
		return nil, fmt.Errorf("plugin socket dir owner file: %w", err)
	}
	return f, nil
}

// cleanStaleSocketDirs removes the socket directories under parent whose
// owner is gone, and returns them. Directories without an owner file (not
// a catalog's, or still being set up) are left alone.
func cleanStaleSocketDirs(parent string) ([]string, error) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), socketDirPrefix) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		f, err := os.Open(filepath.Join(dir, socketOwnerFile))
		if err != nil {
			continue
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			if rmErr := os.RemoveAll(dir); rmErr != nil {
				errs = append(errs, rmErr)
			} else {
				removed = append(removed, dir)
			}
		}
		f.Close()
	}
	return removed, errors.Join(errs...)
}
