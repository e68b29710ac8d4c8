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
// account of an exchange draws on one budget (see budget.go): sized from the
// first per-IP limit the plugin declares, at a safety fraction of it,
// debited by the declared cost of each call before the call is made, and
// corrected by the usage the exchange reports in its response headers. When
// the accounts need more than the budget gives, the exchange's interval
// stretches so that every account still syncs, later, and the account's
// next_sync_at says when; the budget is never overdrawn.
//
// Failures. A rate-limited answer pauses the whole exchange for its
// retry-after. Authentication and permission failures park the account as
// auth_failed until its keys change. Other failures back off exponentially,
// per account, up to a cap. A crashed plugin pauses only its own exchange,
// which is probed with one account until the plugin answers again. When one
// part of a sync fails and the others work, the good parts are kept and the
// failed part keeps its previous data (the store merges them).
//
// This package must not call an exchange outside a sync (the dashboard reads
// the store), must not keep or log credentials beyond one sync, and knows
// nothing about HTTP; it names no exchange.
package scheduler
