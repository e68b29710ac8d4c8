package api

import (
	"context"
	"fmt"
	"io/fs"
	"syscall"
	"testing"
)

// fullDiskSyncer fails every sync as a store write on a full disk does.
type fullDiskSyncer struct{ fakeSyncer }

func (*fullDiskSyncer) SyncNow(context.Context, string) error {
	return fmt.Errorf("store sync result: %w", &fs.PathError{Op: "write", Path: "gahost.db", Err: syscall.ENOSPC})
}

// A write that fails on a full disk answers 507 storage_full, as
// documented, not a generic 500.
func TestFullDiskAnswersStorageFull(t *testing.T) {
	e := newEnv(t)
	acct := e.account(e.adminToken, accountBody("main"))
	e.deps.Syncer = &fullDiskSyncer{}
	e.h = e.checked(New(e.deps))
	r := e.do("POST", "/api/v1/exchange-accounts/"+acct.ID+"/sync", e.adminToken, nil)
	if r.Code != 507 || r.errorCode() != codeStorageFull {
		t.Fatalf("sync on a full disk: %d %s", r.Code, r.Body)
	}
}
