// Package catalog holds the connector definitions the agent serves, and keeps
// them in step with the connectors folder: the folder is watched with
// fsnotify, so a file added, changed or removed is picked up at once, and a
// bad file becomes a Problem while the others keep working.
package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/paths"
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
	folded   map[string]bool // built-in ids a file's definition inherited
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
// A built-in definition that a file's definition inherited from is left
// out: one site is one connector (the file's), so status, the popup and the
// watchers show and follow it once. Connector still finds the built-in by
// its id.
func (c *Catalog) Connectors() ([]connector.Definition, []apitype.Problem) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]connector.Definition, 0, len(c.defs))
	for id, d := range c.defs {
		if c.folded[id] {
			continue
		}
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
	folded := map[string]bool{}
	for _, d := range defs {
		if b, ok := m[d.InheritsFrom]; ok && d.Kind != connector.KindBuiltin && b.Kind == connector.KindBuiltin {
			folded[b.ID] = true
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.defs != nil && reflect.DeepEqual(m, c.defs) && reflect.DeepEqual(problems, c.problems) {
		return false
	}
	c.defs, c.folded, c.problems = m, folded, problems
	return true
}

// Root is one folder Watch follows.
type Root struct {
	Dir string
	// Recursive follows Dir's subfolders too, those created later
	// included (the data-export app's company subfolders).
	Recursive bool
}

// Places are where connector definitions are read from, highest precedence
// first: $AUTHBRIDGE_HOME/connectors (authbridge's own files), then each of
// the data-export app's homes in p.AppHomes order, read recursively, with
// their browser-profiles folders. See connector.LoadPlaces for what the
// precedence means.
func Places(p paths.Paths) []connector.Place {
	places := []connector.Place{{Dir: p.ConnectorsDir}}
	for _, h := range p.AppHomes {
		places = append(places, connector.Place{
			Dir: paths.AppConnectorsDir(h), Recursive: true, Profiles: paths.AppProfilesDir(h),
		})
	}
	return places
}

// Roots are the folders to watch for places: each place's folder, and the
// profiles folder of an app home (a profile folder created later becomes
// the connector's session).
func Roots(places []connector.Place) []Root {
	var roots []Root
	for _, p := range places {
		roots = append(roots, Root{Dir: p.Dir, Recursive: p.Recursive})
		if p.Profiles != "" {
			roots = append(roots, Root{Dir: p.Profiles})
		}
	}
	return roots
}

// Watch is WatchRoots of the one folder dir, not recursively.
func (c *Catalog) Watch(ctx context.Context, dir string, changed func()) error {
	return c.WatchRoots(ctx, []Root{{Dir: dir}}, changed)
}

// WatchRoots watches the roots until ctx ends, reloading on every change of
// a *.json file in them (or of a folder in a recursive root) and calling
// changed when the definitions differ from before. It watches the folders
// themselves (editors replace files by renaming); a folder created later in
// a recursive root is watched from then on; a root that does not exist (yet)
// is waited for by watching its nearest existing parent, and so is a root
// removed and created again. It ignores Chmod, debounces bursts and reloads
// every Rescan as a safety net. A folder's mode change is a change (a
// folder made readable again loads).
func (c *Catalog) WatchRoots(ctx context.Context, roots []Root, changed func()) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch connectors folder: %w", err)
	}
	defer w.Close()
	for i := range roots {
		if abs, err := filepath.Abs(roots[i].Dir); err == nil {
			roots[i].Dir = abs
		}
	}
	ws := &watchSet{w: w, roots: roots}
	ws.sync()
	rescan := time.NewTicker(Rescan)
	defer rescan.Stop()
	var debounce <-chan time.Time
	var timer *time.Timer
	reload := func() {
		ws.sync()
		if c.Reload() {
			c.log.Info("connector definitions changed", "roots", len(roots))
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
			// A mode change matters for folders only: one made readable
			// (or unreadable) changes what loads.
			if ev.Op == fsnotify.Chmod && !isDir(ev.Name) || !ws.relevant(ev) {
				continue
			}
			// Watch a new folder at once (and the parent of a root that
			// went away), so that what is copied into it next is seen;
			// the reload reads whatever came before.
			ws.sync()
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
			c.log.Warn("connectors folder watch", "err", err)
		case <-debounce:
			debounce = nil
			reload()
		case <-rescan.C:
			reload()
		}
	}
}

// isDir reports whether path is a folder (not following a symbolic link).
func isDir(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.IsDir()
}

// watchSet keeps the fsnotify watches in step with the roots.
type watchSet struct {
	w     *fsnotify.Watcher
	roots []Root
}

// sync watches every existing folder of the roots (the nearest existing
// parent of a missing root) and drops the watches no longer wanted.
func (s *watchSet) sync() {
	want := map[string]bool{}
	for _, r := range s.roots {
		var dirs []string
		if r.Recursive {
			dirs = connector.SubFolders(r.Dir)
		} else if fi, err := os.Stat(r.Dir); err == nil && fi.IsDir() {
			dirs = []string{r.Dir}
		}
		if len(dirs) == 0 {
			if p := existingParent(r.Dir); p != "" {
				dirs = []string{p}
			}
		}
		for _, d := range dirs {
			want[d] = true
		}
	}
	// fsnotify drops the watch of a folder that is removed by itself, so
	// its own list is the truth.
	have := map[string]bool{}
	for _, d := range s.w.WatchList() {
		have[d] = true
		if !want[d] {
			s.w.Remove(d)
		}
	}
	for d := range want {
		if !have[d] {
			s.w.Add(d)
		}
	}
}

// relevant reports whether an event may change the definitions: a *.json
// file or a folder inside a root, a root itself, or a missing root's parent
// folder being created.
func (s *watchSet) relevant(ev fsnotify.Event) bool {
	name := filepath.Clean(ev.Name)
	for _, r := range s.roots {
		switch {
		case name == r.Dir || within(name, r.Dir):
			// A root, or a parent of one, created, removed or renamed.
			return true
		case filepath.Dir(name) == r.Dir || (r.Recursive && within(r.Dir, name)):
			if strings.HasSuffix(name, ".json") || ev.Op&(fsnotify.Remove|fsnotify.Rename) != 0 {
				return true
			}
			if fi, err := os.Lstat(name); err == nil && fi.IsDir() {
				return true
			}
		}
	}
	return false
}

// within reports whether path is strictly inside dir.
func within(dir, path string) bool {
	return strings.HasPrefix(path, dir+string(filepath.Separator))
}

// existingParent is the nearest existing folder above dir ("" if none).
func existingParent(dir string) string {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return p
		}
		if filepath.Dir(p) == p {
			return ""
		}
	}
}
