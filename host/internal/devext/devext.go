// Package devext writes a development copy of the extension: the same files
// and manifest (its key too, so the extension ID stays the one the host
// allows by default), with sites listed under host_permissions, which the
// browser grants at load as if the user had allowed them in the popup.
// Tests of features other than consent, the bench and the demo on a
// machine without a display load such a copy; the production manifest
// lists no site.
package devext

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// AllSites is the host permission that grants every site.
var AllSites = []string{"*://*/*"}

// skipped are the folders of the extension that are not part of it.
var skipped = map[string]bool{"test": true, "testkit": true, "tools": true, "docs": true, "node_modules": true}

// Copy writes the extension folder src into dst (created, or emptied of
// nothing: dst should be new) with a manifest whose host_permissions are
// sites.
func Copy(src, dst string, sites []string) error {
	if len(sites) == 0 {
		return fmt.Errorf("development copy of %s: no site to grant", src)
	}
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if skipped[rel] {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if rel == "manifest.json" || strings.HasSuffix(rel, ".md") || rel == "package.json" || rel == "package-lock.json" {
			return nil
		}
		return CopyFile(path, filepath.Join(dst, rel), 0o644)
	})
	if err != nil {
		return fmt.Errorf("development copy of %s: %w", src, err)
	}
	b, err := os.ReadFile(filepath.Join(src, "manifest.json"))
	if err != nil {
		return err
	}
	out, err := Manifest(b, sites)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dst, "manifest.json"), out, 0o644)
}

// Manifest returns the manifest b with host_permissions set to sites, every
// other field kept.
func Manifest(b []byte, sites []string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	hp, _ := json.Marshal(sites)
	m["host_permissions"] = hp
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// CopyFile copies the file from into to, created (or truncated) with mode.
func CopyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
