package store

import (
	"context"
	"io"

	bolt "go.etcd.io/bbolt"
)

// WriteBackup writes a consistent copy of the whole database to w without
// blocking writers (a read transaction's tx.WriteTo). The copy holds sealed
// secrets and token hashes only; it opens with the master key in use when it
// was taken.
func (s *Store) WriteBackup(ctx context.Context, w io.Writer) error {
	return s.BackupTo(ctx, func(int64) (io.Writer, error) { return w, nil })
}

// BackupTo is WriteBackup for a writer that wants the size first (an HTTP
// answer sets Content-Length, so a cut-off download is detectable): start
// gets the exact number of bytes that will follow.
func (s *Store) BackupTo(ctx context.Context, start func(size int64) (io.Writer, error)) error {
	// The copy holds every sync result written so far, held ones too.
	if err := s.Flush(); err != nil {
		return err
	}
	return s.view(ctx, func(tx *bolt.Tx) error {
		w, err := start(tx.Size())
		if err != nil {
			return err
		}
		_, err = tx.WriteTo(w)
		return err
	})
}
