// Package pgstore is the PostgreSQL backend of package store: the same
// records and the same semantics as the bbolt file (store.Backend, checked by
// the conformance suite in package storetest), in a database that several
// gahost hosts share. It also keeps the sync leases by which those hosts
// divide the accounts (leases.go), and fences each host's sync writes with
// the epoch of its lease.
//
// Tables. Every record is kept as the JSON the bbolt backend writes (a json
// column, so the text is kept as it is), with the columns its queries and
// constraints need beside it. Ids compare byte-wise (COLLATE "C"), so
// "oldest first" is the ULID order, as in bbolt. The database enforces what
// must hold across hosts: unique usernames, unique webhook tokens, and one
// claim per alert id of a webhook (the primary key of webhook_alerts), so an
// alert delivered to two hosts at once is recorded once as first.
//
// Migrations are numbered; each runs in its own transaction, and all run
// under a session advisory lock, so hosts starting together migrate once.
//
// This package never logs the DSN (it holds the password) and takes it out
// of every error it returns.
package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options tune Open.
type Options struct {
	Logger hclog.Logger
	// Now is the clock of the records' own times (created_at and the
	// like); nil means time.Now. Lease times never use it: they come
	// from the database's clock, which all hosts share.
	Now func() time.Time
	// MaxConns bounds the connection pool; default 16.
	MaxConns int32
}

// Store is a PostgreSQL database. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	log  hclog.Logger
	now  func() time.Time
	dsn  string
}

var _ store.Backend = (*Store)(nil)

// migrationLock is the advisory lock key under which migrations run.
const migrationLock = 0x6761686f7374 // "gahost"

// Open connects to the database at dsn and brings its schema up to date.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 16
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx quotes the bad DSN in some parse errors.
		return nil, fmt.Errorf("store dsn: %s", Redact(err.Error(), dsn))
	}
	cfg.MaxConns = opts.MaxConns
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store: %s", Redact(err.Error(), dsn))
	}
	s := &Store{pool: pool, log: opts.Logger, now: opts.Now, dsn: dsn}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, s.wrap(err)
	}
	return s, nil
}

// Redact takes dsn, and the password inside it, out of msg.
func Redact(msg, dsn string) string {
	secrets := []string{dsn}
	if cfg, err := pgconn.ParseConfig(dsn); err == nil && cfg.Password != "" {
		secrets = append(secrets, cfg.Password)
	}
	return redact.String(msg, secrets...)
}

// wrap keeps errors the callers act on as they are and removes the DSN
// from the text of others. A full disk becomes ENOSPC, which
// store.StorageFull recognises.
func (s *Store) wrap(err error) error {
	if err == nil {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "53100" || pe.Code == "53200") {
		return fmt.Errorf("%s: %w", Redact(err.Error(), s.dsn), syscall.ENOSPC)
	}
	msg := err.Error()
	if red := Redact(msg, s.dsn); red != msg {
		return errors.New(red)
	}
	return err
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Pool is the connection pool, for the lease keeper and the tests.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// migrations[i] brings the schema from version i to i+1.
var migrations = []string{
	// 0 -> 1: every entity of the bbolt layout, and the sync leases.
	`
CREATE TABLE meta (
  key   text COLLATE "C" PRIMARY KEY,
  value bytea NOT NULL
);
CREATE TABLE users (
  id           text COLLATE "C" PRIMARY KEY,
  username_key text NOT NULL UNIQUE,
  data         json NOT NULL
);
CREATE TABLE tokens (
  hash       bytea PRIMARY KEY,
  id         text COLLATE "C" NOT NULL,
  user_id    text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at timestamptz,
  data       json NOT NULL
);
CREATE UNIQUE INDEX tokens_user ON tokens (user_id, id);
CREATE TABLE accounts (
  id       text COLLATE "C" PRIMARY KEY,
  user_id  text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  exchange text NOT NULL,
  active   boolean NOT NULL,
  data     json NOT NULL
);
CREATE INDEX accounts_user ON accounts (user_id, id);
CREATE TABLE snapshots (
  account_id text COLLATE "C" PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  data       json NOT NULL
);
CREATE TABLE history (
  account_id text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  at_ns      bigint NOT NULL,
  data       json NOT NULL,
  PRIMARY KEY (account_id, at_ns)
);
CREATE TABLE webhooks (
  id         text COLLATE "C" PRIMARY KEY,
  user_id    text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  account_id text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  token_hash bytea NOT NULL UNIQUE,
  data       json NOT NULL
);
CREATE INDEX webhooks_user ON webhooks (user_id, id);
CREATE TABLE deliveries (
  webhook_id  text COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  received_ns bigint NOT NULL,
  id          text COLLATE "C" NOT NULL,
  data        json NOT NULL,
  PRIMARY KEY (webhook_id, received_ns, id)
);
-- One claim per alert id of a webhook: the database, not a host, decides
-- which delivery of an alert is the first.
CREATE TABLE webhook_alerts (
  webhook_id  text COLLATE "C" NOT NULL,
  alert_id    text NOT NULL,
  received_ns bigint NOT NULL,
  delivery_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (webhook_id, alert_id),
  FOREIGN KEY (webhook_id, received_ns, delivery_id)
    REFERENCES deliveries (webhook_id, received_ns, id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
-- Hosts of a cluster and the leases by which they divide the accounts.
CREATE TABLE cluster_hosts (
  host_id   text COLLATE "C" PRIMARY KEY,
  seen_at   timestamptz NOT NULL,
  started   timestamptz NOT NULL,
  budgets   json NOT NULL DEFAULT '{}'
);
CREATE TABLE sync_leases (
  account_id  text COLLATE "C" PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  exchange    text NOT NULL,
  owner       text COLLATE "C",
  lease_until timestamptz,
  claimed_at  timestamptz,
  epoch       bigint NOT NULL DEFAULT 0
);
CREATE INDEX sync_leases_free ON sync_leases (exchange, lease_until);
CREATE INDEX sync_leases_owner ON sync_leases (owner);
`,
	// 1 -> 2: a manual sync asked of a host that does not hold the
	// account waits in sync_requested for the host that does; each host's
	// lease counters, for GET /cluster.
	`
ALTER TABLE sync_leases ADD COLUMN sync_requested timestamptz;
CREATE INDEX sync_leases_requested ON sync_leases (owner) WHERE sync_requested IS NOT NULL;
ALTER TABLE cluster_hosts ADD COLUMN stats json NOT NULL DEFAULT '{}';
`,
}

// SchemaVersion is the version this code writes.
var SchemaVersion = len(migrations)

func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("open store: lock for migrations: %w", err)
	}
	defer func() {
		// A new context: the unlock must happen even when ctx ended.
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	var version int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return fmt.Errorf("open store: read schema version: %w", err)
	}
	if version > SchemaVersion {
		return fmt.Errorf("store has schema version %d, newer than this gahost understands (%d); upgrade gahost",
			version, SchemaVersion)
	}
	for ; version < SchemaVersion; version++ {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, migrations[version]); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version+1)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate store from schema %d: %w", version, err)
		}
		s.log.Info("store schema migrated", "to", version+1)
	}
	return nil
}

// update runs fn in a read-committed write transaction.
func (s *Store) update(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return s.wrap(pgx.BeginFunc(ctx, s.pool, fn))
}

// view runs fn in a read-only transaction on one snapshot of the
// database, so a read of several tables is consistent as a bbolt read
// transaction is.
func (s *Store) view(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return s.wrap(pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn))
}

// Advisory lock keys of the write transactions that bbolt's single writer
// serialised and whose rule needs it: the check and the write of a "first
// user", and of rules over every user (one enabled admin must remain).
const (
	lockUsers int64 = 0x67616875 + iota
)

func lockXact(ctx context.Context, tx pgx.Tx, key int64) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, key)
	return err
}

func isCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

const (
	codeUnique     = "23505"
	codeForeignKey = "23503"
)

func encode(v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(raw), nil
}

func decode(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode record: %w", err)
	}
	return nil
}

func usernameKey(name string) string { return strings.ToLower(name) }

// nanos is the key time of history points and deliveries, as in bbolt.
func nanos(t time.Time) int64 { return t.UnixNano() }
