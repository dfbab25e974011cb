package session

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
)

// BrowserProfile is a folder of the user's own browsers (a profile a
// bridge is bound to, or a browser's user data dir): authbridge never
// writes into it, nor starts a browser on it.
type BrowserProfile struct {
	Dir  string
	What string // says whose it is, for the refusal: "Chromium's user data dir"
}

// profileRefusal is the error of a connector whose session.profile_dir is,
// holds or lies inside one of the user's browser folders; nil when it is a
// folder of its own (or it has none).
func (m *Manager) profileRefusal(def connector.Definition) error {
	if def.Session == nil || def.Session.ProfileDir == "" || m.cfg.BrowserProfiles == nil {
		return nil
	}
	dir := canonical(def.Session.ProfileDir)
	for _, p := range m.cfg.BrowserProfiles() {
		if p.Dir == "" {
			continue
		}
		other := canonical(p.Dir)
		if filepath.Dir(other) == other {
			continue // a filesystem root names no browser's folder
		}
		if within(dir, other) || within(other, dir) {
			return &apitype.Error{Code: apitype.CodeBadRequest, Message: fmt.Sprintf(
				"connector %s: session.profile_dir %s overlaps %s (%s): authbridge never writes into the user's own browser profiles; give the connector a folder of its own",
				def.ID, def.Session.ProfileDir, p.Dir, p.What)}
		}
	}
	return nil
}

// canonical is p absolute and clean, with symbolic links resolved as far
// as the folders exist.
func canonical(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = filepath.Clean(p)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	// Resolve the longest existing parent.
	parent, rest := abs, ""
	for {
		next := filepath.Dir(parent)
		if next == parent {
			return abs
		}
		rest = filepath.Join(filepath.Base(parent), rest)
		parent = next
		if r, err := filepath.EvalSymlinks(parent); err == nil {
			return filepath.Join(r, rest)
		}
	}
}

// within reports whether p is dir or inside it.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
