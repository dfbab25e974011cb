// Package extpack builds the store packages of the extension: the Chrome
// Web Store zip (the manifest without `key`, which the store refuses: the
// store gives the item its own ID) and the Firefox package for
// addons.mozilla.org (the same files, linted by Mozilla's web-ext in the
// tests). The unpacked development folder keeps its key.
package extpack

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Targets of Build.
const (
	Chrome  = "chrome"
	Firefox = "firefox"
)

// skipped are the folders of the extension folder that are not part of
// the extension.
var skipped = map[string]bool{"test": true, "testkit": true, "tools": true, "docs": true, "node_modules": true}

// Files lists the extension's own files under src (slash-separated,
// sorted): what a package holds.
func Files(src string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if skipped[rel] {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(rel, ".md") || rel == "package.json" || rel == "package-lock.json" {
			return nil
		}
		out = append(out, rel)
		return nil
	})
	sort.Strings(out)
	return out, err
}

// Manifest returns the manifest of a store package for target: without
// `key`; for Firefox also without Chromium's `minimum_chrome_version` and
// `background.service_worker` (Firefox runs `background.scripts`).
func Manifest(b []byte, target string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	delete(m, "key")
	if target == Firefox {
		// Chromium's: Firefox ignores them (and web-ext lint says so).
		delete(m, "minimum_chrome_version")
		var bg map[string]json.RawMessage
		if json.Unmarshal(m["background"], &bg) == nil && bg != nil {
			delete(bg, "service_worker")
			m["background"], _ = json.Marshal(bg)
		}
	}
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Build writes the package of target for the extension folder src to the
// zip file out.
func Build(src, out, target string) error {
	if target != Chrome && target != Firefox {
		return fmt.Errorf("target %q: want %s or %s", target, Chrome, Firefox)
	}
	files, err := Files(src)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(src, "manifest.json"))
	if err != nil {
		return err
	}
	man, err := Manifest(raw, target)
	if err != nil {
		return err
	}
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	zw := zip.NewWriter(f)
	for _, rel := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: rel, Method: zip.Deflate})
		if err != nil {
			f.Close()
			return err
		}
		if rel == "manifest.json" {
			_, err = w.Write(man)
		} else {
			err = copyInto(w, filepath.Join(src, filepath.FromSlash(rel)))
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", rel, err)
		}
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

func copyInto(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
