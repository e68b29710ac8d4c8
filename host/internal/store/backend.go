package store

import (
	"context"
	"io"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
)

// Backend is the database as the rest of the host uses it. Two
// implementations keep the same semantics, checked by one conformance
// suite (package storetest): *Store, the embedded bbolt file of a
// single-machine install, and *pgstore.Store, a PostgreSQL database that
// several gahost hosts share.
//
// Every method's contract is written on *Store's method of the same name.
type Backend interface {
	secrets.Vault
	secrets.Inventory

	// Close releases the database.
	Close() error

	// Users and tokens.
	CreateUser(ctx context.Context, in NewUser) (User, error)
	CreateFirstUser(ctx context.Context, in NewUser) (created bool, u User, err error)
	HasUsers(ctx context.Context) (bool, error)
	User(ctx context.Context, id string) (User, error)
	UserByName(ctx context.Context, username string) (User, error)
	ListUsers(ctx context.Context, after string, limit int) ([]User, string, error)
	UpdateUser(ctx context.Context, id string, edit func(u *User, others []User) error) (User, error)
	DeleteUser(ctx context.Context, id string, check func(u User, others []User) error) ([]string, error)
	AddLoginToken(ctx context.Context, userID string, hash secrets.TokenHash, expiresAt time.Time) error
	AddAPIToken(ctx context.Context, userID string, hash secrets.TokenHash) (string, error)
	Session(ctx context.Context, hash secrets.TokenHash) (User, Token, error)
	TokenUser(ctx context.Context, hash secrets.TokenHash) (User, time.Time, error)
	ListTokens(ctx context.Context, userID string) ([]Token, error)
	DeleteTokens(ctx context.Context, userID string, drop func(Token) bool) (int, error)
	PruneTokens(ctx context.Context, now time.Time) (int, error)

	// Exchange accounts.
	EditAccounts(ctx context.Context, userID string, fn func(mine []Account) (AccountChange, error)) error
	Account(ctx context.Context, id string) (Account, error)
	UserAccount(ctx context.Context, userID, id string) (Account, error)
	ListAccounts(ctx context.Context, userID string) ([]Account, error)
	ListAccountsPage(ctx context.Context, userID, after string, limit int) ([]Account, string, error)
	MainAccount(ctx context.Context, userID string) (Account, bool, error)
	AllAccounts(ctx context.Context) ([]Account, error)

	// Snapshots and history.
	PutSyncResult(ctx context.Context, accountID string, r SyncResult) error
	LatestSnapshot(ctx context.Context, accountID string) (Snapshot, bool, error)
	History(ctx context.Context, accountID string, from, to time.Time) ([]HistoryPoint, error)
	PruneHistory(ctx context.Context, now time.Time, keepAll, hourlyFor time.Duration) (int, error)

	// Webhooks and their deliveries.
	CreateWebhook(ctx context.Context, w Webhook) error
	CreateWebhookWithin(ctx context.Context, w Webhook, max int) error
	UserWebhook(ctx context.Context, userID, id string) (Webhook, error)
	ListWebhooks(ctx context.Context, userID string) ([]Webhook, error)
	WebhookByTokenHash(ctx context.Context, hash secrets.TokenHash) (Webhook, error)
	UpdateWebhook(ctx context.Context, userID, id string, edit func(*Webhook) error) (Webhook, error)
	DeleteWebhook(ctx context.Context, userID, id string) error
	RecordDelivery(ctx context.Context, d Delivery) (stored Delivery, first *Delivery, err error)
	FinishDelivery(ctx context.Context, d Delivery) error
	ListDeliveries(ctx context.Context, userID, webhookID string, limit int) ([]Delivery, error)
	DeliveryPage(ctx context.Context, userID, webhookID string, q DeliveryQuery) ([]Delivery, string, error)
	WebhookDelivery(ctx context.Context, webhookID string, receivedAt time.Time, id string) (Delivery, error)

	// Backups and moves between backends.
	BackupTo(ctx context.Context, start func(size int64) (io.Writer, error)) error
	WriteBackup(ctx context.Context, w io.Writer) error
	Dump(ctx context.Context, emit func(Record) error) error
	Load(ctx context.Context, next func() (Record, bool, error)) error
}

var _ Backend = (*Store)(nil)

// MergeSnapshot is the merge PutSyncResult makes, for the other backend to
// make the same: the parts fresh fetched, in a sync started at started,
// laid over prev, each part going to the sync that started last; newest
// says this sync is the account's latest, whose time and part errors the
// snapshot then shows.
func MergeSnapshot(prev, fresh Snapshot, started time.Time, newest bool, now time.Time) Snapshot {
	return mergeSnapshot(prev, fresh, started, newest, now)
}
