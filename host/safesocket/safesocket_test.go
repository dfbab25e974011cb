//go:build !windows

package safesocket

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/authbridge/authbridge/internal/testtmp"
)

func TestListenSameUser(t *testing.T) {
	path := filepath.Join(testtmp.Dir(t), "s.sock")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(path); err == nil {
		t.Fatalf("Listen over a regular file = nil error, want one")
	}
	os.Remove(path)
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode = %v, want 0600", fi.Mode().Perm())
	}
	done := make(chan Cred, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			close(done)
			return
		}
		cred, _ := PeerOf(c)
		done <- cred
		c.Close()
	}()
	c, err := Connect(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cred := <-done
	if cred.UID != os.Getuid() || cred.PID != os.Getpid() {
		t.Errorf("peer = %+v, want uid %d pid %d", cred, os.Getuid(), os.Getpid())
	}
}
