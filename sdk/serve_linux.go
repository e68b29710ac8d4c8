package sdk

import (
	"errors"

	"golang.org/x/sys/unix"
)

// waitExit blocks until process pid exits, polling a pidfd of it (Linux
// 5.3 and later), so that nothing wakes the plugin until then: a timer
// that checked on the host twice a second was most of what an idle
// connector spent. It reports false at once when the kernel cannot do
// that, and the caller polls instead.
func waitExit(pid int) bool {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if err == nil {
			return true
		}
		if !errors.Is(err, unix.EINTR) {
			return false
		}
	}
}
