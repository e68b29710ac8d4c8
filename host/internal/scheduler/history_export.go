package scheduler

import (
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
)

// HistoryPoint is the history point a sync of calls writes for the merged
// snapshot v at now, so that writers other than the scheduler (the
// streams) write the same points.
func HistoryPoint(v store.Snapshot, calls []string, now time.Time) (store.HistoryPoint, bool) {
	return historyPoint(v, calls, now)
}
