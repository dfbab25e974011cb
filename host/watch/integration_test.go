package watch

import (
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/chromeprofile"
	"github.com/authbridge/authbridge/host/internal/sqlitedb"
	"github.com/authbridge/authbridge/host/internal/storetest"
)

// These tests use real fsnotify and real SQLite stores. The rescan is an
// hour, so every event comes through fsnotify.

var soon = time.Now().Add(24 * time.Hour).Truncate(time.Second)

func sidRow(exp time.Time) storetest.Cookie {
	return storetest.Cookie{HostKey: "demo.test", Name: "sid", Path: "/", Created: time.Now(), Expires: exp, Updated: time.Now(), SameSite: 1}
}

type harness struct {
	udd, store string
	events     chan Event
	profiles   chan struct{}
	missing    chan struct{} // a read found no store
}

func start(t *testing.T, initial []storetest.Cookie) *harness {
	t.Helper()
	udd := t.TempDir()
	h := &harness{udd: udd, store: filepath.Join(udd, "Default", "Network", "Cookies"),
		events: make(chan Event, 16), profiles: make(chan struct{}, 4), missing: make(chan struct{}, 16)}
	os.WriteFile(filepath.Join(udd, chromeprofile.LocalStateFile), []byte(`{"profile":{"info_cache":{"Default":{"name":"A"}}}}`), 0o600)
	if initial != nil {
		os.MkdirAll(filepath.Dir(h.store), 0o700)
		if err := storetest.Create(h.store, 24, initial); err != nil {
			t.Fatal(err)
		}
	} else {
		os.MkdirAll(filepath.Join(udd, "Default"), 0o700)
	}
	w := New(Config{
		Store: h.store, UserDataDir: udd,
		Connectors:        []Watched{{ID: "demo", Domains: []string{"demo.test"}, AuthCookies: []string{"sid"}}},
		OnAuthChange:      func(e Event) { h.events <- e },
		OnProfilesChanged: func() { h.profiles <- struct{}{} },
		Debounce:          50 * time.Millisecond, Rescan: time.Hour,
	})
	ready := make(chan struct{})
	w.cfg.Read = func(p string, d []string) ([]chromeprofile.StoredCookie, error) {
		cs, err := chromeprofile.ReadCookieMeta(p, d)
		if errors.Is(err, fs.ErrNotExist) {
			select {
			case h.missing <- struct{}{}:
			default:
			}
		}
		select {
		case <-ready:
		default:
			close(ready) // the baseline is read and the watches are set
		}
		return cs, err
	}
	done := make(chan error, 1)
	ctx := t.Context()
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("watcher did not start")
	}
	return h
}

func (h *harness) await(t *testing.T, kind Kind) {
	t.Helper()
	select {
	case e := <-h.events:
		if e.ConnectorID != "demo" || e.Kind != kind || !slices.Equal(e.Cookies, []string{"sid"}) {
			t.Fatalf("event %+v, want demo sid %s", e, kind)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s event within 10s", kind)
	}
}

func TestWatchUpdateInPlace(t *testing.T) {
	h := start(t, []storetest.Cookie{sidRow(soon)})
	db, err := sql.Open(sqlitedb.Driver, "file:"+h.store)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := storetest.Insert(db, []storetest.Cookie{sidRow(soon.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	h.await(t, Changed)
}

func TestWatchAtomicReplace(t *testing.T) {
	h := start(t, []storetest.Cookie{sidRow(soon)})
	for i := range 2 {
		tmp := filepath.Join(filepath.Dir(h.store), "Cookies.new")
		if err := storetest.Create(tmp, 24, []storetest.Cookie{sidRow(soon.Add(time.Duration(i+1) * time.Hour))}); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, h.store); err != nil {
			t.Fatal(err)
		}
		h.await(t, Changed)
	}
}

func TestWatchMissingStoreAppears(t *testing.T) {
	h := start(t, nil)
	os.MkdirAll(filepath.Dir(h.store), 0o700)
	if err := storetest.Create(h.store, 24, []storetest.Cookie{sidRow(soon)}); err != nil {
		t.Fatal(err)
	}
	h.await(t, Appeared)
}

func TestWatchDirectoryRecreated(t *testing.T) {
	h := start(t, []storetest.Cookie{sidRow(soon)})
	if err := os.RemoveAll(filepath.Join(h.udd, "Default")); err != nil {
		t.Fatal(err)
	}
	// The watcher reads the store as missing before the directory comes back.
	select {
	case <-h.missing:
	case <-time.After(10 * time.Second):
		t.Fatal("the watcher did not read the store as missing")
	}
	select {
	case e := <-h.events:
		t.Fatalf("event while the store is missing: %+v", e)
	default:
	}
	os.MkdirAll(filepath.Dir(h.store), 0o700)
	if err := storetest.Create(h.store, 24, []storetest.Cookie{sidRow(soon.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	h.await(t, Changed)
	// And the new directory is watched.
	db, _ := sql.Open(sqlitedb.Driver, "file:"+h.store)
	defer db.Close()
	if err := storetest.Insert(db, []storetest.Cookie{sidRow(soon.Add(2 * time.Hour))}); err != nil {
		t.Fatal(err)
	}
	h.await(t, Changed)
}

func TestWatchLocalState(t *testing.T) {
	h := start(t, []storetest.Cookie{sidRow(soon)})
	tmp := filepath.Join(h.udd, "Local State.tmp")
	os.WriteFile(tmp, []byte(`{"profile":{"info_cache":{"Default":{"name":"A"},"Profile 1":{"name":"B"}}}}`), 0o600)
	if err := os.Rename(tmp, filepath.Join(h.udd, chromeprofile.LocalStateFile)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.profiles:
	case <-time.After(10 * time.Second):
		t.Fatal("no ProfilesChanged within 10s")
	}
}
