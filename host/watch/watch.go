// Package watch watches a bound browser profile on disk: its cookie store
// (fsnotify on the store's directory) and its user-data-dir's Local State.
// A change to a connector's auth cookies becomes one Event per connector
// and kind; a change to the profile list becomes a ProfilesChanged call.
//
// Following fsnotify's advice, it watches directories and filters by name,
// ignores Chmod, debounces per path, compares with the previous state
// before emitting, re-adds watches after Remove or Rename (watching the
// nearest existing parent until a directory comes back) and rescans slowly
// as a safety net.
package watch

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/authbridge/authbridge/host/chromeprofile"
	"github.com/authbridge/authbridge/host/cookies"
)

// Defaults of Config.
const (
	DefaultDebounce   = 150 * time.Millisecond
	DefaultRescan     = 30 * time.Second
	DefaultRetryDelay = 500 * time.Millisecond
)

// Kind says what happened to a connector's auth cookies.
type Kind string

// Kinds of Event.
const (
	Appeared Kind = "appeared"
	Changed  Kind = "changed"
	Vanished Kind = "vanished"
)

// Event says that some of a connector's auth cookies appeared, changed
// (expiry or last update) or vanished (deleted or expired) in the store.
type Event struct {
	ConnectorID string
	Kind        Kind
	// Cookies are the names of the cookies concerned, sorted.
	Cookies []string
}

// Watched is a connector whose auth cookies are watched.
type Watched struct {
	ID      string
	Domains []string
	// AuthCookies are the names that count (cookies.IsAuthCookie): a
	// connector without any has no auth cookies, so nothing is watched.
	AuthCookies []string
}

// Config configures a Watcher.
type Config struct {
	// Store is the bound profile's cookie store file.
	Store string
	// UserDataDir holds Local State; empty watches no Local State.
	UserDataDir string
	Connectors  []Watched
	// OnAuthChange receives the events, on the watcher's goroutine: it
	// should return quickly (the agent's AuthCookiesChanged does).
	OnAuthChange func(Event)
	// OnProfilesChanged is called when Local State's profiles (added,
	// removed, renamed) or its last used profile changed.
	OnProfilesChanged func()
	// Debounce is the quiet time per path before a change is read;
	// zero means DefaultDebounce.
	Debounce time.Duration
	// Rescan is the safety-net interval; zero means DefaultRescan.
	Rescan time.Duration
	// RetryDelay is the first wait before reading an unreadable store
	// again (doubling up to Rescan); zero means DefaultRetryDelay.
	RetryDelay time.Duration
	Log        *slog.Logger
	// Read reads a store; nil means chromeprofile.ReadCookieMeta.
	Read func(path string, domains []string) ([]chromeprofile.StoredCookie, error)
	// Now is the clock for deciding expiry; nil means time.Now.
	Now func() time.Time
}

// Watcher watches one profile. Create it with New and start it with Run.
type Watcher struct {
	cfg Config

	mu         sync.Mutex
	connectors []Watched
	kick       chan struct{}
}

// New returns a Watcher for cfg.
func New(cfg Config) *Watcher {
	if cfg.Debounce <= 0 {
		cfg.Debounce = DefaultDebounce
	}
	if cfg.Rescan <= 0 {
		cfg.Rescan = DefaultRescan
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = DefaultRetryDelay
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Read == nil {
		cfg.Read = chromeprofile.ReadCookieMeta
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Watcher{cfg: cfg, connectors: slices.Clone(cfg.Connectors), kick: make(chan struct{}, 1)}
}

func isStoreFile(store, name string) bool {
	base := filepath.Base(store)
	return name == base || name == base+"-journal" || name == base+"-wal"
}

// source is what Run needs of fsnotify, so that tests can drive the loop.
type source interface {
	Add(string) error
	Remove(string) error
	WatchList() []string
	Events() <-chan fsnotify.Event
	Errors() <-chan error
	Close() error
}

type fsSource struct{ *fsnotify.Watcher }

func (s fsSource) Events() <-chan fsnotify.Event { return s.Watcher.Events }
func (s fsSource) Errors() <-chan error          { return s.Watcher.Errors }

// Run watches until ctx is done. It reads the store once at the start as
// the baseline (no events for what is already there).
func (w *Watcher) Run(ctx context.Context) error {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	return w.run(ctx, fsSource{fw})
}

// debounce keys.
const (
	keyStore      = "store"
	keyLocalState = "local-state"
	keyRewatch    = "rewatch"
)

type loop struct {
	w       *Watcher
	src     source
	fire    chan string
	timers  map[string]*time.Timer
	retry   *time.Timer
	backoff time.Duration

	done chan struct{}

	snaps      map[string]map[cookieID]fingerprint
	profiles   string // Local State's profiles, as compared
	haveLState bool
}

func (w *Watcher) run(ctx context.Context, src source) error {
	defer src.Close()
	l := &loop{w: w, src: src, fire: make(chan string, 8), timers: map[string]*time.Timer{},
		done: make(chan struct{}), snaps: map[string]map[cookieID]fingerprint{}}
	defer l.stopTimers()
	defer close(l.done)
	l.rewatch()
	l.checkLocalState(false)
	l.checkStore()
	tick := time.NewTicker(w.cfg.Rescan)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-src.Events():
			if !ok {
				return errors.New("watcher closed")
			}
			l.handle(ev)
		case err, ok := <-src.Errors():
			if !ok {
				return errors.New("watcher closed")
			}
			w.cfg.Log.Warn("profile watcher error", "err", err)
			l.schedule(keyRewatch) // an overflow may have lost events
			l.schedule(keyStore)
		case key := <-l.fire:
			switch key {
			case keyStore:
				l.checkStore()
			case keyLocalState:
				l.checkLocalState(true)
			case keyRewatch:
				l.rewatch()
				l.checkStore()
				l.checkLocalState(true)
			}
		case <-w.kick:
			l.checkStore()
		case <-tick.C:
			l.rewatch()
			l.checkStore()
			l.checkLocalState(true)
		}
	}
}

func (l *loop) stopTimers() {
	for _, t := range l.timers {
		t.Stop()
	}
	if l.retry != nil {
		l.retry.Stop()
	}
}

// schedule (re)starts the debounce timer of key.
func (l *loop) schedule(key string) {
	if t, ok := l.timers[key]; ok {
		t.Reset(l.w.cfg.Debounce)
		return
	}
	l.timers[key] = time.AfterFunc(l.w.cfg.Debounce, func() { l.send(key) })
}

// send hands a timer's key to the loop, unless the loop has ended.
func (l *loop) send(key string) {
	select {
	case l.fire <- key:
	case <-l.done:
	}
}

// targets are the directories the watcher wants to watch.
func (l *loop) targets() []string {
	t := []string{filepath.Dir(l.w.cfg.Store)}
	if d := l.w.cfg.UserDataDir; d != "" && !slices.Contains(t, filepath.Clean(d)) {
		t = append(t, filepath.Clean(d))
	}
	return t
}

// rewatch watches each target, or its nearest existing ancestor while it
// is missing, and drops watches no longer needed.
func (l *loop) rewatch() {
	want := map[string]bool{}
	for _, t := range l.targets() {
		d := t
		for {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				break
			}
			parent := filepath.Dir(d)
			if parent == d {
				break
			}
			d = parent
		}
		want[d] = true
	}
	have := map[string]bool{}
	for _, p := range l.src.WatchList() {
		have[p] = true
		if !want[p] {
			l.src.Remove(p)
		}
	}
	for d := range want {
		if !have[d] {
			if err := l.src.Add(d); err != nil {
				l.w.cfg.Log.Warn("watch directory", "dir", d, "err", err)
			}
		}
	}
}

// handle routes one fsnotify event.
func (l *loop) handle(ev fsnotify.Event) {
	if ev.Op == fsnotify.Chmod {
		return
	}
	name := filepath.Clean(ev.Name)
	dir, base := filepath.Dir(name), filepath.Base(name)
	for _, t := range l.targets() {
		// The target itself or a directory on its path was created,
		// removed or renamed: watch again.
		if name == t || strings.HasPrefix(t, name+string(filepath.Separator)) {
			if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
				l.src.Remove(name)
			}
			l.schedule(keyRewatch)
			return
		}
	}
	if dir == filepath.Dir(l.w.cfg.Store) && isStoreFile(l.w.cfg.Store, base) {
		l.schedule(keyStore)
	}
	if l.w.cfg.UserDataDir != "" && dir == filepath.Clean(l.w.cfg.UserDataDir) && base == chromeprofile.LocalStateFile {
		l.schedule(keyLocalState)
	}
}

// cookieID identifies one cookie of a connector.
type cookieID struct{ domain, name, path, partition string }

// fingerprint is what makes a cookie "changed".
type fingerprint struct {
	expires, updated, created int64
}

// checkStore reads the store, compares each connector's auth cookies with
// the previous snapshot and emits the differences. A connector's first
// read is its baseline, without events; a store missing at that point is
// an empty baseline, so cookies appearing with the store are reported. An
// unreadable store keeps the previous snapshots and is read again after a
// backoff; a store that goes missing later keeps them too (an atomic
// replace may be under way), and is read again when it appears.
func (l *loop) checkStore() {
	cfg := l.w.cfg
	l.w.mu.Lock()
	conns := slices.Clone(l.w.connectors)
	l.w.mu.Unlock()

	for id := range l.snaps {
		if !slices.ContainsFunc(conns, func(c Watched) bool { return c.ID == id }) {
			delete(l.snaps, id)
		}
	}
	var domains []string
	for _, c := range conns {
		domains = append(domains, c.Domains...)
	}
	if len(domains) == 0 {
		return
	}
	stored, err := cfg.Read(cfg.Store, domains)
	missing := errors.Is(err, fs.ErrNotExist)
	if err != nil && !missing {
		cfg.Log.Warn("read cookie store", "store", cfg.Store, "err", err)
		l.retryLater()
		return
	}
	l.backoff = 0
	now := cfg.Now()
	for _, c := range conns {
		prev, known := l.snaps[c.ID]
		if missing {
			if !known {
				l.snaps[c.ID] = map[cookieID]fingerprint{}
			}
			continue
		}
		next := snapshot(c, stored, now)
		l.snaps[c.ID] = next
		if !known {
			continue
		}
		for _, ev := range diff(c.ID, prev, next) {
			if cfg.OnAuthChange != nil {
				cfg.OnAuthChange(ev)
			}
		}
	}
}

func (l *loop) retryLater() {
	if l.backoff == 0 {
		l.backoff = l.w.cfg.RetryDelay
	} else {
		l.backoff = min(2*l.backoff, l.w.cfg.Rescan)
	}
	if l.retry != nil {
		l.retry.Stop()
	}
	l.retry = time.AfterFunc(l.backoff, func() { l.send(keyStore) })
}

// snapshot is a connector's live auth cookies in the store.
func snapshot(c Watched, stored []chromeprofile.StoredCookie, now time.Time) map[cookieID]fingerprint {
	out := map[cookieID]fingerprint{}
	for _, s := range stored {
		if !cookies.IsAuthCookie(c.Domains, c.AuthCookies, s.Name, s.HostKey) || s.Expired(now) {
			continue
		}
		out[cookieID{strings.ToLower(s.HostKey), s.Name, s.Path, s.TopFrameSiteKey}] = fingerprint{
			expires: s.Expires.UnixMicro(), updated: s.LastUpdate.UnixMicro(), created: s.Created.UnixMicro(),
		}
	}
	return out
}

// diff compares two snapshots of one connector.
func diff(id string, prev, next map[cookieID]fingerprint) []Event {
	sets := map[Kind]map[string]bool{Appeared: {}, Changed: {}, Vanished: {}}
	for k, f := range next {
		if p, ok := prev[k]; !ok {
			sets[Appeared][k.name] = true
		} else if p != f {
			sets[Changed][k.name] = true
		}
	}
	for k := range prev {
		if _, ok := next[k]; !ok {
			sets[Vanished][k.name] = true
		}
	}
	var out []Event
	for _, kind := range []Kind{Appeared, Changed, Vanished} {
		if len(sets[kind]) == 0 {
			continue
		}
		var names []string
		for n := range sets[kind] {
			names = append(names, n)
		}
		slices.Sort(names)
		out = append(out, Event{ConnectorID: id, Kind: kind, Cookies: names})
	}
	return out
}

// checkLocalState compares Local State's profiles with the previous read
// and calls OnProfilesChanged when they differ (never for the first read).
func (l *loop) checkLocalState(emit bool) {
	if l.w.cfg.UserDataDir == "" {
		return
	}
	ls, err := chromeprofile.ReadLocalState(l.w.cfg.UserDataDir)
	var key string
	if err == nil {
		var parts []string
		for dir, name := range ls.Profiles {
			parts = append(parts, dir+"\x00"+name)
		}
		slices.Sort(parts)
		key = ls.LastUsed + "\x01" + strings.Join(parts, "\x01")
	} else if !errors.Is(err, fs.ErrNotExist) {
		// Chrome replaces Local State atomically, so a parse error is
		// another program's half-written file: wait for the next change.
		l.w.cfg.Log.Warn("read local state", "err", err)
		return
	}
	first := !l.haveLState
	changed := key != l.profiles
	l.profiles, l.haveLState = key, true
	if emit && !first && changed && l.w.cfg.OnProfilesChanged != nil {
		l.w.cfg.OnProfilesChanged()
	}
}
