package fakex

import (
	"sync"
	"time"
)

// Window is a fixed-window counter aligned to multiples of Size since the
// epoch, the way exchanges count weight "per minute": it resets at each
// minute boundary of the exchange's clock rather than sliding.
type Window struct {
	Limit int64
	Size  time.Duration

	mu    sync.Mutex
	start time.Time
	used  int64
}

// NewWindow returns a window allowing limit units per size.
func NewWindow(limit int64, size time.Duration) *Window {
	return &Window{Limit: limit, Size: size}
}

// Spend charges n units at now. It always counts them, as exchanges count
// the weight of requests they reject, and reports the units used in the
// current window and whether they are within the limit.
func (w *Window) Spend(now time.Time, n int64) (used int64, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.roll(now)
	w.used += n
	return w.used, w.used <= w.Limit
}

// Used is the units used in the window that contains now.
func (w *Window) Used(now time.Time) int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.roll(now)
	return w.used
}

// Ends is when the window containing now ends.
func (w *Window) Ends(now time.Time) time.Time {
	return now.Truncate(w.Size).Add(w.Size)
}

func (w *Window) roll(now time.Time) {
	if s := now.Truncate(w.Size); !s.Equal(w.start) {
		w.start, w.used = s, 0
	}
}
