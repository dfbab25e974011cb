//go:build !windows

package connector

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLoadOnlyReadsRegularFiles is issue 14 item 3: a FIFO in the
// connectors folder used to block Load for good (opening it waits for a
// writer). Now it, a socket-like oddity and a link to one are named, and the
// good file loads.
func TestLoadOnlyReadsRegularFiles(t *testing.T) {
	good := `{"id":"good","domains":["good.test"]}`
	dir := writeFiles(t, map[string]string{"good.json": good, "secret.txt": "p4ssw0rd"})
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.json"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "subdir"), 0o700)
	os.Symlink("fifo.json", filepath.Join(dir, "tofifo.json"))
	os.Symlink("good.json", filepath.Join(dir, "alias.json"))
	os.Symlink("secret.txt", filepath.Join(dir, "tosecret.json"))
	os.Symlink("missing", filepath.Join(dir, "dangling.json"))

	done := make(chan *Set, 1)
	go func() {
		s, _ := Load(dir)
		done <- s
	}()
	var s *Set
	select {
	case s = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Load still blocked after 10s with a FIFO in the folder")
	}
	if _, ok := s.Get("good"); !ok {
		t.Errorf("the good file was not loaded")
	}
	var msgs []string
	for _, err := range s.Problems() {
		msgs = append(msgs, err.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"fifo.json: is a named pipe (FIFO), not a regular file", "tofifo.json: is a symbolic link to a file that is a named pipe (FIFO)",
		"dangling.json: is a symbolic link whose target cannot be read", "tosecret.json: invalid JSON at line 1, column 1"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems do not say %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "'p'") || strings.Contains(all, "p4ss") {
		t.Errorf("a problem quotes the content of the link's target:\n%s", all)
	}
}
