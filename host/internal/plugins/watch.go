package plugins

import (
	"context"
	"fmt"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/hashicorp/go-hclog"
)

// debounce lets an installer finish (write, chmod, rename) before a rescan,
// and folds a burst of events into one.
const debounce = 150 * time.Millisecond

// watcher follows the plugin directory, not single files: installers
// replace binaries by renaming over them.
type watcher struct {
	w   *fsnotify.Watcher
	log hclog.Logger
}

func newWatcher(dir string, log hclog.Logger) (*watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch plugin dir: %w", err)
	}
	if err := w.Add(dir); err != nil {
		w.Close()
		return nil, fmt.Errorf("watch plugin dir %s: %w", dir, err)
	}
	return &watcher{w: w, log: log}, nil
}

// run calls rescan after each settled burst of changes until ctx ends.
func (w *watcher) run(ctx context.Context, rescan func()) {
	defer w.w.Close()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case ev, ok := <-w.w.Events:
			if !ok {
				return
			}
			// Chmod counts too: chmod +x after a copy makes a file a plugin.
			w.log.Trace("plugin dir changed", "file", ev.Name, "op", ev.Op.String())
			timer.Reset(debounce)
		case err, ok := <-w.w.Errors:
			if !ok {
				return
			}
			w.log.Error("watching plugin dir", "error", err)
		case <-timer.C:
			rescan()
		}
	}
}
