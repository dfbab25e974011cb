package install

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/authbridge/authbridge/internal/testtmp"
)

// machine is a fake home and filesystem root with an authbridge binary.
type machine struct {
	home, root, bin string
}

func newMachine(t *testing.T) machine {
	t.Helper()
	base := testtmp.Dir(t)
	m := machine{home: filepath.Join(base, "home"), root: filepath.Join(base, "root")}
	for _, d := range []string{m.home, m.root, filepath.Join(base, "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	m.bin = filepath.Join(base, "bin", "authbridge")
	if err := os.WriteFile(m.bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m machine) opts() Options {
	return Options{OS: "linux", Home: m.home, Root: m.root, Binary: m.bin}
}

// touch creates a file (and its folders) under dir.
func touch(t *testing.T, dir, rel, content string) string {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// snapshot describes every entry under dirs: path, type, mode, size, mtime
// and content, so two snapshots differ if anything was created, removed or
// written.
func snapshot(t *testing.T, dirs ...string) string {
	t.Helper()
	var lines []string
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			line := fmt.Sprintf("%s %v", p, fi.Mode())
			if !d.IsDir() {
				data, _ := os.ReadFile(p)
				line += fmt.Sprintf(" %d %d %q", fi.Size(), fi.ModTime().UnixNano(), data)
			}
			lines = append(lines, line)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func actions(rep Report) string {
	var s []string
	for _, r := range rep.Results {
		s = append(s, fmt.Sprintf("%s:%s", r.Browser, r.Action))
	}
	return strings.Join(s, " ")
}

// fakeRegistry is an in-memory registry: "root|view|key" -> default value.
// ViewNative reads and writes the 64-bit view.
type fakeRegistry struct {
	values map[string]string
	ints   map[string]uint64
}

func newFakeRegistry() *fakeRegistry {
	return &fakeRegistry{values: map[string]string{}, ints: map[string]uint64{}}
}

func regKey(root RegRoot, view RegView, key string) string {
	if view == ViewNative {
		view = View64
	}
	return string(root) + "|" + string(view) + "|" + strings.ToLower(key)
}

func (f *fakeRegistry) Default(root RegRoot, view RegView, key string) (string, bool, error) {
	v, ok := f.values[regKey(root, view, key)]
	return v, ok, nil
}

func (f *fakeRegistry) SetDefault(root RegRoot, key, value string) error {
	f.values[regKey(root, ViewNative, key)] = value
	return nil
}

func (f *fakeRegistry) DeleteKey(root RegRoot, key string) error {
	delete(f.values, regKey(root, ViewNative, key))
	return nil
}

func (f *fakeRegistry) Integer(root RegRoot, key, name string) (uint64, bool, error) {
	v, ok := f.ints[string(root)+"|"+strings.ToLower(key)+"|"+name]
	return v, ok, nil
}
