package catalog

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
)

// dirLoader loads one definition per *.json file name in dir.
func dirLoader(dir string) Loader {
	return func() ([]connector.Definition, []apitype.Problem) {
		ms, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		var defs []connector.Definition
		for _, m := range ms {
			defs = append(defs, connector.Definition{ID: filepath.Base(m)})
		}
		return defs, nil
	}
}

// TestWatch writes, rewrites and removes files in a real directory watched
// with fsnotify, and is told once per change of the definitions.
func TestWatch(t *testing.T) {
	dir := t.TempDir()
	c := New(dirLoader(dir), nil)
	changed := make(chan struct{}, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Watch(ctx, dir, func() { changed <- struct{}{} }) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	wait := func(what string) {
		t.Helper()
		select {
		case <-changed:
		case <-time.After(10 * time.Second):
			t.Fatalf("not told that %s", what)
		}
	}
	has := func(id string) bool {
		_, err := c.Connector(id)
		return err == nil
	}
	write := func(name string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The watch starts in Watch's goroutine: write until its first reload.
	for first := false; !first; {
		write("a.json")
		select {
		case <-changed:
			first = true
		case <-time.After(3 * Debounce):
		}
	}
	if !has("a.json") {
		t.Fatal("a.json not loaded after its event")
	}
	write("notes.txt") // not a definition: no reload, no change
	write("a.json")    // same definitions: no change
	write("b.json")
	wait("b.json was added")
	if !has("b.json") {
		t.Error("b.json not loaded")
	}
	select {
	case <-changed:
		t.Error("told of a change that did not change the definitions")
	case <-time.After(3 * Debounce):
	}
	if err := os.Remove(filepath.Join(dir, "a.json")); err != nil {
		t.Fatal(err)
	}
	wait("a.json was removed")
	if has("a.json") {
		t.Error("a.json still loaded after it was removed")
	}
}
