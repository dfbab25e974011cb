package chromeprofile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/authbridge/authbridge/manifest"
)

// profileBrowsers are the browsers of the manifest table whose
// user-data-dir holds Chrome's profile layout (Local State and one folder per
// profile). Opera is left out: its user-data-dir is itself the profile.
var profileBrowsers = []string{
	"chrome", "chrome-beta", "chrome-dev", "chrome-canary", "chromium",
	"edge", "edge-beta", "edge-dev", "brave", "vivaldi", "arc",
}

// UserDataDir is one browser's default user-data-dir on one OS.
type UserDataDir struct {
	Browser     string // the --browser name: chrome, edge, brave, ...
	DisplayName string
	// Variant is "native", or "flatpak" or "snap" for a sandboxed package.
	Variant string
	Dir     string
	// Exists is true when Dir is present on this machine.
	Exists bool
}

// UserDataDirs lists the default user-data-dirs of Chrome (every channel),
// Chromium, Edge (every channel), Brave, Vivaldi and Arc on env.OS, taken
// from the manifest package's browser table, sandboxed variants after the
// native ones.
func UserDataDirs(env manifest.Env) []UserDataDir {
	var out, sandboxed []UserDataDir
	for _, name := range profileBrowsers {
		b, ok := manifest.Lookup(name)
		if !ok {
			continue
		}
		p, ok := b.Platforms[env.OS]
		if !ok {
			continue
		}
		out = append(out, userDataDir(b, "native", env.Resolve(p.UserDataDir)))
		for _, s := range p.Sandboxes {
			sandboxed = append(sandboxed, userDataDir(b, s.Kind, env.Resolve(s.UserDataDir)))
		}
	}
	return append(out, sandboxed...)
}

func userDataDir(b manifest.Browser, variant, dir string) UserDataDir {
	fi, err := os.Stat(dir)
	return UserDataDir{Browser: b.Name, DisplayName: b.DisplayName, Variant: variant, Dir: dir,
		Exists: err == nil && fi.IsDir()}
}

// LocalState is what authbridge uses of a user-data-dir's "Local State"
// file.
type LocalState struct {
	// LastUsed is profile.last_used: the folder name of the profile the
	// browser opened last ("Default", "Profile 1", ...).
	LastUsed string
	// Profiles is profile.info_cache: folder name to display name.
	Profiles map[string]string
	// Order is profile.profiles_order, when present.
	Order []string
}

// LocalStateFile is the name of the file in a user-data-dir.
const LocalStateFile = "Local State"

// ReadLocalState reads <userDataDir>/Local State.
func ReadLocalState(userDataDir string) (LocalState, error) {
	b, err := os.ReadFile(filepath.Join(userDataDir, LocalStateFile))
	if err != nil {
		return LocalState{}, fmt.Errorf("read local state: %w", err)
	}
	var raw struct {
		Profile struct {
			LastUsed  string `json:"last_used"`
			InfoCache map[string]struct {
				Name string `json:"name"`
			} `json:"info_cache"`
			Order []string `json:"profiles_order"`
		} `json:"profile"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return LocalState{}, fmt.Errorf("read local state %q: %w", filepath.Join(userDataDir, LocalStateFile), err)
	}
	ls := LocalState{LastUsed: raw.Profile.LastUsed, Order: raw.Profile.Order, Profiles: map[string]string{}}
	for dir, info := range raw.Profile.InfoCache {
		ls.Profiles[dir] = info.Name
	}
	return ls, nil
}

// Profile is one profile folder of a user-data-dir.
type Profile struct {
	UserDataDir string
	// Name is the folder name: "Default", "Profile 1", ...
	Name string
	// Dir is the absolute profile folder.
	Dir string
	// DisplayName is the name the browser shows, from Local State.
	DisplayName string
	// CookieStore is the cookie database: <Dir>/Network/Cookies (Chrome
	// 96 and later), else <Dir>/Cookies when only that exists. When
	// neither exists it is the Network path, where the browser will create
	// it.
	CookieStore string
	// LastUsed is true for Local State's profile.last_used (or for
	// "Default" when Local State names none).
	LastUsed bool
}

var profileDirName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(Default|Profile [0-9]+)$`) })

// Profiles lists the profiles of a user-data-dir: the folders named in
// Local State's info_cache and every "Default" or "Profile N" folder,
// in Local State's order then by number. A missing Local State is not an
// error (the folders still say which profiles exist); a missing
// user-data-dir is.
func Profiles(userDataDir string) ([]Profile, error) {
	entries, err := os.ReadDir(userDataDir)
	if err != nil {
		return nil, fmt.Errorf("list profiles: %w", err)
	}
	ls, err := ReadLocalState(userDataDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		ls = LocalState{} // a damaged Local State: the folders still count
	}
	names := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() && (profileDirName().MatchString(e.Name()) || ls.Profiles[e.Name()] != "") {
			names[e.Name()] = true
		}
	}
	for n := range ls.Profiles {
		if fi, err := os.Stat(filepath.Join(userDataDir, n)); err == nil && fi.IsDir() {
			names[n] = true
		}
	}
	lastUsed := ls.LastUsed
	if lastUsed == "" {
		lastUsed = "Default"
	}
	var out []Profile
	for n := range names {
		dir := filepath.Join(userDataDir, n)
		out = append(out, Profile{
			UserDataDir: userDataDir, Name: n, Dir: dir, DisplayName: ls.Profiles[n],
			CookieStore: CookieStorePath(dir), LastUsed: n == lastUsed,
		})
	}
	slices.SortFunc(out, func(a, b Profile) int {
		ra, rb := profileRank(a.Name, ls.Order), profileRank(b.Name, ls.Order)
		if ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// profileRank orders profiles by Local State's order, then Default, then
// Profile N by N.
func profileRank(name string, order []string) int {
	if i := slices.Index(order, name); i >= 0 {
		return i - 1_000_000
	}
	if name == "Default" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(name, "Profile ")); err == nil {
		return n + 1
	}
	return 1_000_000
}

// CookieStorePath is the cookie database of a profile folder:
// <profileDir>/Network/Cookies, or <profileDir>/Cookies when only the
// pre-96 location exists.
func CookieStorePath(profileDir string) string {
	network := filepath.Join(profileDir, "Network", "Cookies")
	if _, err := os.Stat(network); err == nil {
		return network
	}
	old := filepath.Join(profileDir, "Cookies")
	if fi, err := os.Stat(old); err == nil && fi.Mode().IsRegular() {
		return old
	}
	return network
}
