package fakex

import "time"

// Windows are a fake's fixed windows by name (an endpoint, a key and an
// endpoint, an address), made on first use. Its zero value is ready; the
// fake guards it with its own lock.
type Windows struct{ m map[string]*Window }

// Get is the window named id, made anew allowing limit per size when
// there is none yet or a test changed its limit since.
func (ws *Windows) Get(id string, limit int64, size time.Duration) *Window {
	if ws.m == nil {
		ws.m = map[string]*Window{}
	}
	w := ws.m[id]
	if w == nil || w.Limit != limit {
		w = NewWindow(limit, size)
		ws.m[id] = w
	}
	return w
}
