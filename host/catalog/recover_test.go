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

// TestWatchRecoversWhenAFolderBecomesReadable: a running watch reloads
// when a company folder's mode changes, so a folder that was unreadable
// and is made readable again has its connectors back without a restart
// (and well before the safety-net rescan). The loader plays the refusal
// from the folder's mode, since the tests may run as root.
func TestWatchRecoversWhenAFolderBecomesReadable(t *testing.T) {
	root := filepath.Join(t.TempDir(), "connectors")
	sub := filepath.Join(root, "acme")
	if err := os.MkdirAll(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	loader := func() ([]connector.Definition, []apitype.Problem) {
		if fi, err := os.Stat(sub); err == nil && fi.Mode().Perm()&0o400 == 0 {
			return nil, []apitype.Problem{{File: sub, Message: "cannot be read"}}
		}
		return []connector.Definition{{ID: "acme", Name: "Acme", Domains: []string{"acme.example"}}}, nil
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
		<-done
		os.Chmod(sub, 0o700)
	}()
	_, problems := c.Connectors()
	if len(problems) != 0 {
		t.Fatalf("problems at start: %v", problems)
	}
	// The watch starts in WatchRoots' goroutine: flip the mode until the
	// first reload.
	deadline := time.Now().Add(Rescan / 2)
	for first := false; !first; {
		os.Chmod(sub, 0o000)
		select {
		case <-changed:
			first = true
		case <-time.After(3 * Debounce):
			os.Chmod(sub, 0o700)
		}
		if !first && time.Now().After(deadline) {
			t.Fatal("the watch never reloaded on a folder's mode change")
		}
	}
	if _, problems := c.Connectors(); len(problems) != 1 {
		t.Fatalf("problems %v, want the unreadable folder", problems)
	}
	os.Chmod(sub, 0o700)
	select {
	case <-changed:
	case <-time.After(Rescan / 2):
		t.Fatal("the watch did not reload when the folder became readable again")
	}
	if _, err := c.Connector("acme"); err != nil {
		t.Fatalf("acme is not back: %v", err)
	}
}
