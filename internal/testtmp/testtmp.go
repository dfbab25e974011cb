// Package testtmp gives tests a temporary directory removed when the test
// ends, like testing.T.TempDir, that also works under Wine: Wine 8 rejects
// the FileDispositionInformationEx call os.RemoveAll makes on Windows
// ("Invalid function"), which fails every TempDir cleanup there. Dir removes
// its tree entry by entry with os.Remove when RemoveAll fails. Tests only:
// product code never works around Wine.
package testtmp

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// Dir returns a new temporary directory for tb, removed at its end.
func Dir(tb testing.TB) string {
	tb.Helper()
	if runtime.GOOS != "windows" {
		return tb.TempDir()
	}
	name := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>| `, r) {
			return '_'
		}
		return r
	}, tb.Name())
	if len(name) > 40 {
		name = name[:40]
	}
	d, err := os.MkdirTemp("", name+"-")
	if err != nil {
		tb.Fatalf("testtmp: %v", err)
	}
	tb.Cleanup(func() {
		if err := removeAll(d); err != nil {
			tb.Errorf("testtmp cleanup: %v", err)
		}
	})
	return d
}

// removeAll is os.RemoveAll, falling back to removing the tree's entries
// one by one, deepest first, where os.RemoveAll fails (Wine).
func removeAll(dir string) error {
	if err := os.RemoveAll(dir); err == nil {
		return nil
	}
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		return err
	}
	slices.Reverse(paths)
	for _, p := range paths {
		os.Chmod(p, 0o700)
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}
