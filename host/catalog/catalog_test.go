package catalog

import (
	"context"
	"os"
	"path/filepath"
	"strings"
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

// TestWatchRootsRecursive follows an app home that does not exist yet: the
// home, its connectors folder and a company subfolder are created while
// watching, and a manifest copied into the subfolder is loaded.
func TestWatchRootsRecursive(t *testing.T) {
	base := t.TempDir()
	home := filepath.Join(base, "app")
	root := filepath.Join(home, "connectors")
	loader := func() ([]connector.Definition, []apitype.Problem) {
		set, _ := connector.LoadPlaces(connector.Place{Dir: root, Recursive: true})
		return set.All(), nil
	}
	c := New(loader, nil)
	changed := make(chan struct{}, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- c.WatchRoots(ctx, []Root{{Dir: root, Recursive: true}}, func() { changed <- struct{}{} })
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	has := func(id string) bool { _, err := c.Connector(id); return err == nil }
	manifest := func(id string) []byte {
		return []byte(`{"connector_id": "` + id + `", "connect_url": "https://www.linkedin.com/login"}`)
	}
	// The watch starts in WatchRoots' goroutine: create until the first
	// reload.
	sub := filepath.Join(root, "linkedin")
	for first := false; !first; {
		if err := os.MkdirAll(sub, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(sub, "a-playwright.json"), manifest("a-playwright"), 0o600)
		select {
		case <-changed:
			first = true
		case <-time.After(3 * Debounce):
			os.RemoveAll(home)
		}
	}
	if !has("a-playwright") {
		t.Fatal("a-playwright not loaded")
	}
	// A new company subfolder, created and filled at once.
	deep := filepath.Join(root, "acme", "inner")
	if err := os.MkdirAll(deep, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(deep, "b-playwright.json"), manifest("b-playwright"), 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("not told of b-playwright in a new subfolder")
	}
	if !has("b-playwright") {
		t.Error("b-playwright not loaded")
	}
}

func TestConnectorsFoldsInheritedBuiltins(t *testing.T) {
	loader := func() ([]connector.Definition, []apitype.Problem) {
		return []connector.Definition{
			{ID: "linkedin", Kind: connector.KindBuiltin},
			{ID: "github", Kind: connector.KindBuiltin},
			{ID: "linkedin-playwright", Kind: connector.KindDataConnectors, InheritsFrom: "linkedin"},
		}, nil
	}
	c := New(loader, nil)
	defs, _ := c.Connectors()
	var got []string
	for _, d := range defs {
		got = append(got, d.ID)
	}
	if strings.Join(got, ",") != "github,linkedin-playwright" {
		t.Errorf("Connectors() = %v, want the built-in linkedin folded into linkedin-playwright", got)
	}
	if _, err := c.Connector("linkedin"); err != nil {
		t.Errorf("Connector(linkedin) = %v, want it still found by id", err)
	}
}
