package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/store/pgstore"
	"github.com/globalautomation/gahost/host/internal/store/pgstore/pgtest"
	"github.com/globalautomation/gahost/host/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func open(t *testing.T, dsn string, now func() time.Time) *pgstore.Store {
	t.Helper()
	st, err := pgstore.Open(context.Background(), dsn, pgstore.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestConformance runs the backend suite against PostgreSQL.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T, now func() time.Time) store.Backend {
			return open(t, pgtest.NewDB(t), now)
		},
		RawSnapshot: func(t *testing.T, b store.Backend, id string) []byte {
			var raw []byte
			err := b.(*pgstore.Store).Pool().QueryRow(context.Background(),
				`SELECT data FROM snapshots WHERE account_id = $1`, id).Scan(&raw)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		},
		WebhookLeftovers: func(t *testing.T, b store.Backend, w store.Webhook) []string {
			var left []string
			for _, q := range []string{
				`SELECT count(*) FROM webhooks WHERE id = $1 OR token_hash = $2`,
				`SELECT count(*) FROM deliveries WHERE webhook_id = $1 AND $2::bytea IS NOT NULL`,
				`SELECT count(*) FROM webhook_alerts WHERE webhook_id = $1 AND $2::bytea IS NOT NULL`,
			} {
				var n int
				if err := b.(*pgstore.Store).Pool().QueryRow(context.Background(), q, w.ID, w.TokenHash).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n > 0 {
					left = append(left, fmt.Sprintf("%d rows of %q", n, q))
				}
			}
			return left
		},
	})
}
