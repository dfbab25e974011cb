//go:build !windows

package connector

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDiscoveryUnreadableFolder: a company folder that cannot be read is a
// problem naming that folder; the other folders' manifests load.
func TestDiscoveryUnreadableFolder(t *testing.T) {
	root := writeTree(t, map[string]string{
		"acme/acme-playwright.json": `{"connector_id": "acme", "connect_url": "https://acme.example/"}`,
		"beta/beta-playwright.json": `{"connector_id": "beta", "connect_url": "https://beta.example/"}`,
	})
	locked := filepath.Join(root, "acme")
	// As root a mode-000 folder is still readable: the refusal is played.
	readDir = func(dir string) ([]os.DirEntry, error) {
		if dir == locked {
			return nil, &fs.PathError{Op: "open", Path: dir, Err: syscall.EACCES}
		}
		return os.ReadDir(dir)
	}
	t.Cleanup(func() { readDir = os.ReadDir })
	s, err := LoadPlaces(Place{Dir: root, Recursive: true})
	if err != nil {
		t.Fatalf("LoadPlaces: %v", err)
	}
	if _, ok := s.Get("beta"); !ok {
		t.Errorf("beta did not load beside the unreadable folder; problems: %s", problemsText(s))
	}
	if p := problemsText(s); !strings.Contains(p, locked+": ") || !strings.Contains(p, "cannot be read") || strings.Count(p, "\n") != 0 {
		t.Errorf("problems %q, want one naming %s", p, locked)
	}
}

// TestDiscoverySymlinkOutOfTheHome: a connectors folder that is a symbolic
// link out of its home (to /) is a problem naming it and is not walked; a
// link inside the home is followed.
func TestDiscoverySymlinkOutOfTheHome(t *testing.T) {
	home := t.TempDir()
	out := filepath.Join(home, "app-out")
	os.Mkdir(out, 0o700)
	if err := os.Symlink("/", filepath.Join(out, "connectors")); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	s, err := LoadPlaces(Place{Dir: filepath.Join(out, "connectors"), Recursive: true})
	if err != nil {
		t.Fatalf("LoadPlaces: %v", err)
	}
	t.Logf("loaded in %v", time.Since(started))
	if p := problemsText(s); !strings.Contains(p, filepath.Join(out, "connectors")) || !strings.Contains(p, "outside") {
		t.Errorf("problems %q, want one naming the link out of the home", p)
	}

	in := filepath.Join(home, "app-in")
	os.MkdirAll(filepath.Join(in, "real", "acme"), 0o700)
	os.WriteFile(filepath.Join(in, "real", "acme", "acme-playwright.json"), []byte(`{"connector_id": "acme", "connect_url": "https://acme.example/"}`), 0o600)
	if err := os.Symlink("real", filepath.Join(in, "connectors")); err != nil {
		t.Fatal(err)
	}
	s, err = LoadPlaces(Place{Dir: filepath.Join(in, "connectors"), Recursive: true})
	if err != nil {
		t.Fatalf("LoadPlaces: %v", err)
	}
	if _, ok := s.Get("acme"); !ok {
		t.Errorf("a link inside the home was not followed; problems: %s", problemsText(s))
	}
}

// TestDiscoveryCap: a home with 10,000 manifests loads MaxManifests of them
// and names the cap as a problem. The time and CPU it took are logged.
func TestDiscoveryCap(t *testing.T) {
	root := t.TempDir()
	for i := range 10000 {
		dir := filepath.Join(root, fmt.Sprintf("c%03d", i/100))
		os.MkdirAll(dir, 0o700)
		body := fmt.Sprintf(`{"connector_id": "c%05d", "connect_url": "https://c%05d.example/"}`, i, i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("c%05d-playwright.json", i)), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	started := time.Now()
	s, err := LoadPlaces(Place{Dir: root, Recursive: true})
	wall := time.Since(started)
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	if err != nil {
		t.Fatalf("LoadPlaces: %v", err)
	}
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) * time.Nanosecond
	n := 0
	for _, d := range s.All() {
		if d.Kind == KindDataConnectors {
			n++
		}
	}
	t.Logf("10,000 manifests: %d loaded in %v wall, %v CPU", n, wall, cpu)
	if n != MaxManifests {
		t.Errorf("%d manifests loaded, want the cap %d", n, MaxManifests)
	}
	if p := problemsText(s); !strings.Contains(p, root) || !strings.Contains(p, fmt.Sprint(MaxManifests)) {
		t.Errorf("problems %q, want one naming %s and the cap", p, root)
	}
}
