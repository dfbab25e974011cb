package firefoxprofile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/authbridge/authbridge/host/chromeprofile"
	"github.com/authbridge/authbridge/manifest"
)

// StoreName is the file name of a Firefox profile's cookie store.
const StoreName = "cookies.sqlite"

// IsStore reports whether path is a Firefox cookie store.
func IsStore(path string) bool { return filepath.Base(path) == StoreName }

// IsProfileDir reports whether dir looks like a Firefox profile folder (it
// holds prefs.js, times.json or cookies.sqlite).
func IsProfileDir(dir string) bool {
	for _, f := range []string{"prefs.js", "times.json", StoreName} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

// Roots returns the default profile roots (the folders holding
// profiles.ini) of every Gecko browser in the manifest table for env.OS,
// those that exist.
func Roots(env manifest.Env) []string {
	var out []string
	for _, b := range manifest.Browsers() {
		if manifest.FamilyOf(b) != manifest.Gecko {
			continue
		}
		p, ok := b.Platforms[env.OS]
		if !ok {
			continue
		}
		for _, d := range append([]manifest.Path{p.UserDataDir}, p.OtherDataDir...) {
			dir := env.Resolve(d)
			if fi, err := os.Stat(filepath.Join(dir, "profiles.ini")); err == nil && !fi.IsDir() {
				out = append(out, dir)
			}
		}
	}
	return out
}

// ErrNoProfilesIni is returned for a root without profiles.ini.
var ErrNoProfilesIni = errors.New("no profiles.ini")

// Profiles lists the profiles of a root from its profiles.ini. The profile
// installs.ini names as an install's default (what Firefox opens), else the
// one profiles.ini marks Default=1, is LastUsed.
func Profiles(root string) ([]chromeprofile.Profile, error) {
	data, err := os.ReadFile(filepath.Join(root, "profiles.ini"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", root, ErrNoProfilesIni)
	}
	if err != nil {
		return nil, err
	}
	sections := parseINI(data)
	installDefault := map[string]bool{}
	if inst, err := os.ReadFile(filepath.Join(root, "installs.ini")); err == nil {
		for _, s := range parseINI(inst) {
			if d := s.keys["Default"]; d != "" {
				installDefault[filepath.ToSlash(d)] = true
			}
		}
	}
	for _, s := range sections {
		if strings.HasPrefix(s.name, "Install") && s.keys["Default"] != "" {
			installDefault[filepath.ToSlash(s.keys["Default"])] = true
		}
	}
	var out []chromeprofile.Profile
	marked := -1
	for _, s := range sections {
		if !strings.HasPrefix(s.name, "Profile") || s.keys["Path"] == "" {
			continue
		}
		rel := s.keys["Path"]
		dir := rel
		if s.keys["IsRelative"] != "0" {
			dir = filepath.Join(root, filepath.FromSlash(rel))
		}
		p := chromeprofile.Profile{UserDataDir: root, Name: filepath.Base(dir), Dir: dir, DisplayName: s.keys["Name"],
			CookieStore: filepath.Join(dir, StoreName), LastUsed: installDefault[filepath.ToSlash(rel)]}
		if s.keys["Default"] == "1" {
			marked = len(out)
		}
		out = append(out, p)
	}
	anyLast := false
	for _, p := range out {
		anyLast = anyLast || p.LastUsed
	}
	if !anyLast && marked >= 0 {
		out[marked].LastUsed = true
	}
	return out, nil
}

// ProfileAt describes a single profile folder given directly (Firefox's
// --profile DIR, seen by the relay).
func ProfileAt(dir string) chromeprofile.Profile {
	return chromeprofile.Profile{UserDataDir: filepath.Dir(dir), Name: filepath.Base(dir), Dir: dir,
		DisplayName: filepath.Base(dir), CookieStore: filepath.Join(dir, StoreName), LastUsed: true}
}

type iniSection struct {
	name string
	keys map[string]string
}

// parseINI reads Mozilla's INI files: [Section] headers and key=value lines;
// comments (; and #) and blank lines are skipped.
func parseINI(data []byte) []iniSection {
	var out []iniSection
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		switch {
		case line == "" || strings.HasPrefix(line, ";") || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			out = append(out, iniSection{name: line[1 : len(line)-1], keys: map[string]string{}})
		case len(out) > 0:
			if k, v, ok := strings.Cut(line, "="); ok {
				out[len(out)-1].keys[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
	}
	return out
}
