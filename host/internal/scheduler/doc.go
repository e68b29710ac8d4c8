// Package scheduler keeps every active exchange account's snapshot fresh: it
// decides when each account is synced, calls the exchange's plugin for its
// spot balances, futures account and positions, and records the result (the
// latest snapshot, one history point and the account's sync status) in the
// store in one write.
//
// Scheduling. Each account is due once per sync interval, plus or minus
// jitter; due accounts wait in one heap per exchange and are started, at
// most max_concurrency at a time, in due order. New, re-enabled and re-keyed
// accounts are due at once; on start the known ones are spread over the
// first interval instead of all at once.
//
// Rate budget. Exchanges limit request weight per source IP, so every
// account of an exchange draws on one budget, kept by the plugin catalog
// at its boundary (package budget), which every call to the exchange pays.
// The scheduler sees it as a Pacer: before a sync starts it pays for the
// sync's calls (TryTake, all or nothing, never blocking) and marks the
// sync's context as prepaid so the calls are not charged again at the
// boundary. When the accounts need more than the budget gives, intervals
// stretch (Cycle) so that every account still syncs, later, and the
// account's next_sync_at says when; the budget is never overdrawn.
//
// Fairness. The budget is shared fairly between the users with accounts on
// the exchange: split evenly, with what a user does not need split again
// between the others. A user whose accounts fit in its share keeps the
// configured interval however many accounts others have; only the users
// who need more than their share stretch, each by its own accounts.
// Dispatch follows the same split: when the budget lets a sync start, the
// user whose turn it is goes first among those with an account due
// (start-time fair queuing), so another user's backlog never queues in
// front of it.
//
// Failures. A rate-limited answer pauses the whole exchange for its
// retry-after. Authentication and permission failures park the account as
// auth_failed until its keys change. Other failures back off exponentially,
// per account, up to a cap. A crashed plugin pauses only its own exchange,
// which is probed with one account until the plugin answers again. When one
// part of a sync fails and the others work, the good parts are kept and the
// failed part keeps its previous data (the store merges them).
//
// State. Each account is in one state: waiting for its due time (in its
// user's due-heap on its exchange, queue.go), urgent (a SyncNow waits for it), running,
// parked (auth_failed, waiting for new keys) or gone (removed while its sync
// runs). Each exchange is open, held after a rate-limited answer, or held
// while its plugin is down and then probed with one sync at a time. The
// files follow these concerns: lifecycle.go (New, Run, shutdown),
// reconcile.go (the schedule against the store), dispatch.go (what starts
// next and what an outcome does), waiters.go (SyncNow), account.go (one
// sync) and history.go (history points and retention). All time comes from
// the Clock in Config, the wall clock by default.
//
// Writes. A sync hands the store only what it fetched, why the other parts
// failed and the account's new sync state; the store merges the parts with
// the previous snapshot, adds the history point and writes the state in one
// transaction, ordered by the sync's start. A store may write results
// behind; the result of a sync a SyncNow waits for is marked Wait, so that
// the caller reads it back when SyncNow returns. last_error is redacted with
// package sdk/redact against the account's own key, secret and passphrase.
//
// This package must not call an exchange outside a sync (the dashboard reads
// the store), must not keep opened credentials beyond one sync nor log them,
// and knows nothing about HTTP; it names no exchange.
package scheduler
