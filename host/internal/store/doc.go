// Package store owns the host's database: one bbolt file (<data_dir>/gahost.db)
// holding users, API tokens (as hashes), exchange accounts with sealed
// credentials and sync state, the latest snapshot of each account and its
// history points.
//
// Layout. Top-level buckets, one per entity, keyed by ULID strings:
//
//	meta           schema_version (uint64 BE), key_check (sealed)
//	users          user id -> user JSON
//	usernames      lower-cased username -> user id (uniqueness)
//	tokens         SHA-256 of the token -> token JSON (id, user id, kind, expiry)
//	user_tokens    user id + token id -> SHA-256 of the token (a user's tokens)
//	accounts       account id -> account JSON (secrets sealed, see package secrets)
//	user_accounts  user id + account id -> nothing (a user's accounts, oldest first)
//	snapshots      account id -> latest snapshot JSON
//	history        account id + 8-byte big-endian unix nanos -> point JSON
//
// Amounts are decimal strings in the stored JSON. The store seals and opens
// nothing itself except through a *secrets.Key it is handed; plaintext
// credentials never reach the file.
//
// Writes. API changes use one Update each, so an answer is sent only after
// bbolt has fsynced the commit. Sync results from many goroutines go through
// db.Batch (PutSyncResult); the batched functions may run more than once, so
// they are idempotent. With Options.SyncFlush (the daemon's default) sync
// results are derived data written behind instead: held in memory for at
// most that long and committed together, so a crash loses at most those
// seconds of snapshots, history points and sync states, which the next
// syncs restore (writebehind.go); a result someone waits for (Wait)
// commits at once.
//
// This package must not log secrets, must not call exchanges and must not
// know HTTP.
package store
