package watch

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/authbridge/authbridge/host/chromeprofile"
)

// fakeSource is a hand-driven fsnotify.
type fakeSource struct {
	mu      sync.Mutex
	watched []string
	events  chan fsnotify.Event
	errs    chan error
}

func newFakeSource() *fakeSource {
	return &fakeSource{events: make(chan fsnotify.Event), errs: make(chan error)}
}

func (f *fakeSource) Add(p string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.watched = append(f.watched, p)
	return nil
}

func (f *fakeSource) Remove(p string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.watched = slices.DeleteFunc(f.watched, func(s string) bool { return s == p })
	return nil
}

func (f *fakeSource) WatchList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.watched)
}
func (f *fakeSource) Events() <-chan fsnotify.Event { return f.events }
func (f *fakeSource) Errors() <-chan error          { return f.errs }
func (f *fakeSource) Close() error                  { return nil }

// fakeStore is what the fake Read returns.
type fakeStore struct {
	mu      sync.Mutex
	cookies []chromeprofile.StoredCookie
	err     error
	reads   int
}

func (s *fakeStore) read(string, []string) ([]chromeprofile.StoredCookie, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	return slices.Clone(s.cookies), s.err
}

func (s *fakeStore) set(err error, cs ...chromeprofile.StoredCookie) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cookies, s.err = cs, err
}

func (s *fakeStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func sid(expires time.Time) chromeprofile.StoredCookie {
	return chromeprofile.StoredCookie{HostKey: "demo.test", Name: "sid", Path: "/", Expires: expires, Persistent: true}
}

func other() chromeprofile.StoredCookie {
	return chromeprofile.StoredCookie{HostKey: "demo.test", Name: "theme", Path: "/", Expires: t0.Add(time.Hour)}
}

type recorder struct {
	mu       sync.Mutex
	events   []Event
	profiles int
}

func (r *recorder) onAuth(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) onProfiles() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.profiles++
}

func (r *recorder) take() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

// TestDebounceAndRescan drives the loop with a fake fsnotify and a fake
// clock: a burst of writes is read once after the quiet time, Chmod and
// unrelated names are ignored, an unchanged store emits nothing, and the
// rescan finds a change no event announced.
func TestDebounceAndRescan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		store := filepath.Join(dir, "Network", "Cookies")
		os.MkdirAll(filepath.Dir(store), 0o700)
		fs := &fakeStore{}
		fs.set(nil, sid(t0.Add(time.Hour)), other())
		rec := &recorder{}
		w := New(Config{
			Store: store, Connectors: []Watched{{ID: "demo", Domains: []string{"demo.test"}, AuthCookies: []string{"sid"}}},
			OnAuthChange: rec.onAuth, Debounce: 200 * time.Millisecond, Rescan: 30 * time.Second,
			Read: fs.read, Now: func() time.Time { return t0 },
		})
		src := newFakeSource()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- w.run(ctx, src) }()
		synctest.Wait()
		if n := fs.count(); n != 1 {
			t.Fatalf("%d reads at start, want 1 (the baseline)", n)
		}
		if got := src.WatchList(); !slices.Equal(got, []string{filepath.Dir(store)}) {
			t.Errorf("watching %v, want the store's directory", got)
		}

		// A burst: the journal and the store, 50 ms apart; a Chmod and a
		// sibling file are ignored.
		fs.set(nil, sid(t0.Add(2*time.Hour)), other())
		for _, ev := range []fsnotify.Event{
			{Name: store + "-journal", Op: fsnotify.Create},
			{Name: store, Op: fsnotify.Write},
			{Name: store + "-journal", Op: fsnotify.Remove},
			{Name: store, Op: fsnotify.Chmod},
			{Name: filepath.Join(dir, "Network", "Trust Tokens"), Op: fsnotify.Write},
		} {
			src.events <- ev
			time.Sleep(50 * time.Millisecond)
		}
		synctest.Wait()
		if n := fs.count(); n != 1 {
			t.Fatalf("read during the burst (%d reads)", n)
		}
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		if n := fs.count(); n != 2 {
			t.Fatalf("%d reads after the burst, want 2", n)
		}
		if got := rec.take(); len(got) != 1 || got[0].Kind != Changed || !slices.Equal(got[0].Cookies, []string{"sid"}) {
			t.Fatalf("events = %+v, want one sid changed", got)
		}

		// Only a Chmod: nothing read.
		src.events <- fsnotify.Event{Name: store, Op: fsnotify.Chmod}
		time.Sleep(time.Second)
		synctest.Wait()
		if n := fs.count(); n != 2 {
			t.Fatalf("a Chmod caused a read")
		}

		// A non-auth cookie changes: read, but no event.
		fs.set(nil, sid(t0.Add(2*time.Hour)), chromeprofile.StoredCookie{HostKey: "demo.test", Name: "theme", Path: "/", Expires: t0.Add(9 * time.Hour)})
		src.events <- fsnotify.Event{Name: store, Op: fsnotify.Write}
		time.Sleep(time.Second)
		synctest.Wait()
		if got := rec.take(); len(got) != 0 {
			t.Fatalf("events for a non-auth cookie: %+v", got)
		}

		// The store fails to read: retried after the backoff, and the
		// change is not lost.
		fs.set(errors.New("database is locked"))
		src.events <- fsnotify.Event{Name: store, Op: fsnotify.Write}
		time.Sleep(300 * time.Millisecond)
		synctest.Wait()
		before := fs.count()
		fs.set(nil) // signed out: sid gone
		time.Sleep(DefaultRetryDelay)
		synctest.Wait()
		if fs.count() != before+1 {
			t.Fatalf("no retry after a failed read")
		}
		if got := rec.take(); len(got) != 1 || got[0].Kind != Vanished {
			t.Fatalf("events = %+v, want sid vanished", got)
		}

		// No event at all: the rescan finds the sign-in.
		fs.set(nil, sid(t0.Add(5*time.Hour)))
		time.Sleep(30 * time.Second)
		synctest.Wait()
		if got := rec.take(); len(got) != 1 || got[0].Kind != Appeared {
			t.Fatalf("events after rescan = %+v, want sid appeared", got)
		}

		// A connector added later gets a baseline without events.
		w.SetConnectors([]Watched{
			{ID: "demo", Domains: []string{"demo.test"}, AuthCookies: []string{"sid"}},
			{ID: "demo2", Domains: []string{"demo.test"}},
		})
		synctest.Wait()
		if got := rec.take(); len(got) != 0 {
			t.Fatalf("events on SetConnectors: %+v", got)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

func TestExpiredCookieVanishes(t *testing.T) {
	c := Watched{ID: "demo", Domains: []string{"demo.test"}, AuthCookies: []string{"sid"}}
	prev := snapshot(c, []chromeprofile.StoredCookie{sid(t0.Add(time.Minute))}, t0)
	next := snapshot(c, []chromeprofile.StoredCookie{sid(t0.Add(time.Minute))}, t0.Add(time.Hour))
	got := diff("demo", prev, next)
	if len(got) != 1 || got[0].Kind != Vanished {
		t.Fatalf("diff = %+v, want sid vanished by expiry", got)
	}
	// A cookie outside the domains never counts.
	evil := chromeprofile.StoredCookie{HostKey: "evildemo.test", Name: "sid", Path: "/"}
	if s := snapshot(c, []chromeprofile.StoredCookie{evil}, t0); len(s) != 0 {
		t.Errorf("snapshot took %v", s)
	}
}

func TestLocalStateChanges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		udd := t.TempDir()
		ls := filepath.Join(udd, chromeprofile.LocalStateFile)
		os.WriteFile(ls, []byte(`{"profile":{"last_used":"Default","info_cache":{"Default":{"name":"A"}}}}`), 0o600)
		rec := &recorder{}
		fs := &fakeStore{err: fs.ErrNotExist}
		w := New(Config{Store: filepath.Join(udd, "Default", "Network", "Cookies"), UserDataDir: udd,
			OnProfilesChanged: rec.onProfiles, Read: fs.read})
		src := newFakeSource()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go w.run(ctx, src)
		synctest.Wait()
		// Chrome rewrites Local State without a profile change: nothing.
		src.events <- fsnotify.Event{Name: ls, Op: fsnotify.Create}
		time.Sleep(time.Second)
		synctest.Wait()
		// A profile is added.
		os.WriteFile(ls, []byte(`{"profile":{"last_used":"Default","info_cache":{"Default":{"name":"A"},"Profile 1":{"name":"B"}}}}`), 0o600)
		src.events <- fsnotify.Event{Name: ls, Op: fsnotify.Create}
		time.Sleep(time.Second)
		synctest.Wait()
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if rec.profiles != 1 {
			t.Fatalf("ProfilesChanged called %d times, want 1", rec.profiles)
		}
	})
}
