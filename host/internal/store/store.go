package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// FileName is the database file inside the data directory.
const FileName = "gahost.db"

// Errors callers act on.
var (
	ErrNotFound      = errors.New("not found")
	ErrUsernameTaken = errors.New("username already taken")
	ErrInvalidToken  = errors.New("invalid or expired token")
	// ErrQuota: the user already has as many of a thing as allowed.
	ErrQuota = errors.New("quota exceeded")
	// ErrLocked: another process (another gahost) holds the database.
	ErrLocked = errors.New("database is locked by another process")
)

var (
	bucketMeta         = []byte("meta")
	bucketUsers        = []byte("users")
	bucketUsernames    = []byte("usernames")
	bucketTokens       = []byte("tokens")
	bucketAccounts     = []byte("accounts")
	bucketUserAccounts = []byte("user_accounts")
	bucketSnapshots    = []byte("snapshots")
	bucketHistory      = []byte("history")
	bucketUserTokens   = []byte("user_tokens")

	keySchemaVersion = []byte("schema_version")
	keyKeyCheck      = []byte("key_check")
)

// migrations[i] brings the schema from version i to i+1. A migration that
// has to read sealed values must run after the key is unlocked; none does.
var migrations = []func(tx *bolt.Tx) error{
	// 0 -> 1: the initial buckets.
	func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketUsers, bucketUsernames, bucketTokens, bucketAccounts,
			bucketUserAccounts, bucketSnapshots, bucketHistory} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	},
	// 1 -> 2: webhooks, their deliveries and indexes (see webhooks.go).
	migrateWebhooks,
	// 2 -> 3: token ids and the user_tokens index (see users.go).
	migrateTokenIDs,
}

// SchemaVersion is the version this code writes.
var SchemaVersion = uint64(len(migrations))

// Options tune Open.
type Options struct {
	// LockTimeout is how long to wait for the file lock; default 1s. A
	// second daemon on the same data dir fails after it with ErrLocked.
	LockTimeout time.Duration
	Logger      hclog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NoSync skips the fsync of each commit: a crash of the machine may
	// lose the last writes. For tests that write thousands of times and
	// must not wait on the disk; never for a daemon.
	NoSync bool
	// SyncFlush, when positive, writes sync results behind: held in
	// memory and committed together once the oldest has waited this long
	// (see writebehind.go), so that a crash loses at most this much of
	// snapshots, history and sync states; a result with Wait set commits
	// at once. Zero commits each before PutSyncResult returns. The
	// daemon uses DefaultSyncFlush.
	SyncFlush time.Duration
}

// DefaultSyncFlush is the daemon's Options.SyncFlush: a few seconds of
// derived data at risk, for one commit, and one fsync, per few seconds of
// syncs instead of per sync.
const DefaultSyncFlush = 3 * time.Second

// Store is the database. It is safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string
	log  hclog.Logger
	now  func() time.Time
	// cache keeps sessions and accounts decoded (cache.go).
	cache *readCache
	// behind holds sync results until their commit; nil commits each
	// at once (writebehind.go).
	behind *writeBehind
}

// Path returns the database path inside dataDir.
func Path(dataDir string) string { return filepath.Join(dataDir, FileName) }

// Open opens (or creates) the database at path and brings its schema up to
// date. An up-to-date database is not written to, so a start that is refused
// afterwards (for instance for a wrong key) leaves the file as it was.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      opts.LockTimeout,
		FreelistType: bolt.FreelistMapType,
		NoSync:       opts.NoSync,
	})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open store %s: %w (is another gahost running on this data_dir?)", path, ErrLocked)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{db: db, path: path, log: opts.Logger, now: opts.Now, cache: newReadCache()}
	if err := s.migrate(); err != nil {
		_ = db.Close()
		return nil, err
	}
	if opts.SyncFlush > 0 {
		s.behind = newWriteBehind(s, opts.SyncFlush)
	}
	return s, nil
}

// Close commits the sync results still held, then closes the database.
func (s *Store) Close() error {
	var err error
	if s.behind != nil {
		err = s.behind.close()
	}
	return errors.Join(err, s.db.Close())
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

func (s *Store) migrate() error {
	var version uint64
	if err := s.db.View(func(tx *bolt.Tx) error {
		version = schemaVersion(tx)
		return nil
	}); err != nil {
		return err
	}
	if version > SchemaVersion {
		return fmt.Errorf("store %s has schema version %d, newer than this gahost understands (%d); upgrade gahost",
			s.path, version, SchemaVersion)
	}
	if version == SchemaVersion {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		v := schemaVersion(tx)
		for ; v < SchemaVersion; v++ {
			if err := migrations[v](tx); err != nil {
				return fmt.Errorf("migrate store from schema %d: %w", v, err)
			}
			s.log.Info("store schema migrated", "to", v+1)
		}
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, binary.BigEndian.AppendUint64(nil, v))
	})
}

func schemaVersion(tx *bolt.Tx) uint64 {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0
	}
	v := meta.Get(keySchemaVersion)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// view and update refuse to start a transaction for a cancelled context;
// bbolt itself takes none.
func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

func (s *Store) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// Whatever fn wrote, no cached read survives it.
	defer s.cache.recordsChanged()
	return s.db.Update(fn)
}

func newID() string { return ulid.Make().String() }

func getJSON(b *bolt.Bucket, key []byte, v any) error {
	raw := b.Get(key)
	if raw == nil {
		return ErrNotFound
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode record %x: %w", key, err)
	}
	return nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}
