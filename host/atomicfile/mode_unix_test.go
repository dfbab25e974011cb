//go:build !windows

package atomicfile

import (
	"io/fs"
	"testing"
)

// checkMode checks a file's permission bits, which Windows does not have.
func checkMode(t *testing.T, fi fs.FileInfo, want fs.FileMode) {
	t.Helper()
	if fi.Mode().Perm() != want {
		t.Errorf("mode %v, want %v", fi.Mode().Perm(), want)
	}
}
