package store

import (
	"errors"
	"strings"
	"syscall"
)

// StorageFull reports whether err means the database could not be written
// because its disk, or the daemon user's quota, is full: an operator's
// problem to fix, not a bug, and nothing of the write was kept.
func StorageFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	// bbolt formats some file errors (growing the file, for one) with %s,
	// which drops the errno; only its text is left to recognise.
	msg := err.Error()
	return strings.Contains(msg, syscall.ENOSPC.Error()) || strings.Contains(msg, syscall.EDQUOT.Error())
}
