package store

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"
)

func TestStorageFull(t *testing.T) {
	for _, tc := range []struct {
		err  error
		full bool
	}{
		{fmt.Errorf("put: %w", &fs.PathError{Op: "write", Path: "gahost.db", Err: syscall.ENOSPC}), true},
		{fmt.Errorf("put: %w", syscall.EDQUOT), true},
		// As bbolt words a failed file resize, without the errno.
		{fmt.Errorf("commit: %w", fmt.Errorf("file resize error: %s", syscall.ENOSPC)), true},
		{errors.New("disk on fire"), false},
		{fmt.Errorf("read: %w", syscall.EIO), false},
		{nil, false},
	} {
		if got := StorageFull(tc.err); got != tc.full {
			t.Errorf("StorageFull(%v) = %v", tc.err, got)
		}
	}
}
