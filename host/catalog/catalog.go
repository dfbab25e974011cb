// Package catalog holds the connector definitions the agent serves, and keeps
// them in step with the connectors folder: the folder is watched with
// fsnotify, so a file added, changed or removed is picked up at once, and a
// bad file becomes a Problem while the others keep working.
package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/session"
)

// Debounce coalesces a burst of writes (an editor saving, a copy in
// progress) into one reload.
const Debounce = 100 * time.Millisecond

// Rescan is the safety-net reload period, for events a file system does not
// deliver.
const Rescan = 30 * time.Second

// Loader returns the connector definitions and the files that failed.
type Loader func() ([]connector.Definition, []apitype.Problem)

// Catalog is the current set of connector definitions.
type Catalog struct {
	load Loader
	log  *slog.Logger

	mu       sync.Mutex
	defs     map[string]connector.Definition
	problems []apitype.Problem
}

// New loads the definitions once.
func New(load Loader, log *slog.Logger) *Catalog {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Catalog{load: load, log: log}
	c.Reload()
	return c
}

// Connector returns a definition by id.
func (c *Catalog) Connector(id string) (connector.Definition, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.defs[id]
	if !ok {
		return connector.Definition{}, fmt.Errorf("%w %q (see `authbridge connectors`)", session.ErrUnknownConnector, id)
	}
	return d, nil
}

// Connectors returns every definition sorted by id, and the load problems.
func (c *Catalog) Connectors() ([]connector.Definition, []apitype.Problem) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]connector.Definition, 0, len(c.defs))
	for _, d := range c.defs {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, append([]apitype.Problem(nil), c.problems...)
}

// Reload loads the definitions again and reports whether they changed.
func (c *Catalog) Reload() bool {
	if c.load == nil {
		return false
	}
	defs, problems := c.load()
	m := make(map[string]connector.Definition, len(defs))
	for _, d := range defs {
		m[d.ID] = d
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.defs != nil && reflect.DeepEqual(m, c.defs) && reflect.DeepEqual(problems, c.problems) {
		return false
	}
	c.defs, c.problems = m, problems
	return true
}

// Watch watches dir until ctx ends, reloading on every change of a *.json
// file in it and calling changed when the definitions differ from before.
// It watches the directory itself (editors replace files by renaming),
// ignores Chmod, debounces bursts, adds the watch again when the directory
// is removed and recreated, and reloads every Rescan as a safety net.
func (c *Catalog) Watch(ctx context.Context, dir string, changed func()) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch connectors folder: %w", err)
	}
	defer w.Close()
	watching := w.Add(dir) == nil
	rescan := time.NewTicker(Rescan)
	defer rescan.Stop()
	var debounce <-chan time.Time
	var timer *time.Timer
	reload := func() {
		if c.Reload() {
			c.log.Info("connector definitions changed", "dir", dir)
			changed()
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			if filepath.Clean(ev.Name) == filepath.Clean(dir) && ev.Op&(fsnotify.Remove|fsnotify.Rename) != 0 {
				watching = false
			} else if !strings.HasSuffix(ev.Name, ".json") {
				continue
			}
			if timer == nil {
				timer = time.NewTimer(Debounce)
			} else {
				timer.Reset(Debounce)
			}
			debounce = timer.C
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			c.log.Warn("connectors folder watch", "dir", dir, "err", err)
		case <-debounce:
			debounce = nil
			reload()
		case <-rescan.C:
			if !watching {
				watching = w.Add(dir) == nil
			}
			reload()
		}
	}
}
