//go:build !windows

package paths

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/authbridge/authbridge/internal/testtmp"
)

func TestEnsurePrivateDir(t *testing.T) {
	d := filepath.Join(testtmp.Dir(t), "run")
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := EnsurePrivateDir(d); err != nil {
		t.Fatalf("EnsurePrivateDir: %v", err)
	}
	fi, _ := os.Stat(d)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("mode = %v, want 0700", fi.Mode().Perm())
	}
	link := filepath.Join(testtmp.Dir(t), "link")
	if err := os.Symlink(d, link); err != nil {
		t.Fatal(err)
	}
	if err := EnsurePrivateDir(link); err == nil {
		t.Errorf("EnsurePrivateDir(symlink) = nil, want an error")
	}
}
