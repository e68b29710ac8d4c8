package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/store/storetest"
)

// TestConformance runs the backend suite against the bbolt store.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T, now func() time.Time) store.Backend {
			st, err := store.Open(context.Background(), store.Path(t.TempDir()), store.Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
		RawSnapshot: func(t *testing.T, b store.Backend, id string) []byte {
			return store.RawSnapshot(t, b.(*store.Store), id)
		},
		AddPoints: func(t *testing.T, b store.Backend, id string, pts []store.HistoryPoint) {
			store.AddPoints(t, b.(*store.Store), id, pts)
		},
		WebhookLeftovers: func(t *testing.T, b store.Backend, w store.Webhook) []string {
			return store.WebhookLeftovers(t, b.(*store.Store), w)
		},
	})
}
