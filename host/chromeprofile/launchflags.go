package chromeprofile

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/authbridge/authbridge/host/chromium"
)

// launchFlagsJSON is the one table of browser and key-store flags per OS and
// kind of profile, and of the hosts Chromium contacts on its own. The drop-in
// runner ships a byte-identical copy (runner/lib/launchflags.json), so that
// the browser a run starts on a profile decrypts what the profile writer
// wrote there; tests on both sides fail when one copy changes alone.
//
//go:embed launchflags.json
var launchFlagsJSON []byte

// Kinds of profile in the launch flags table.
const (
	// KindApp is a profile of the data-export app
	// (<app home>/browser-profiles/<connector>).
	KindApp = "app"
	// KindPlaywright is a profile a plain Playwright runner opens with its
	// defaults.
	KindPlaywright = "playwright"
)

// LaunchFlags is one row of the table: the flags a browser opening a kind of
// profile on one OS is started with.
type LaunchFlags struct {
	Kind string `json:"kind"`
	// OS is a GOOS name, or "*" for every OS without a row of its own.
	OS string `json:"os"`
	// KeyStore names where the browser keeps the key that encrypts cookie
	// values: "basic" (a fixed key), "keychain", "dpapi".
	KeyStore string `json:"key_store"`
	// Args are added to the command line ("--name" or "--name=value").
	Args []string `json:"args"`
	// Drop are flags of the defaults the browser must not get.
	Drop []string `json:"drop"`
	Why  string   `json:"why"`
}

type launchTable struct {
	Version    int           `json:"version"`
	QuietHosts []string      `json:"quiet_hosts"`
	Profiles   []LaunchFlags `json:"profiles"`
}

// parseLaunchTable reads and checks a launch flags table.
func parseLaunchTable(data []byte) (launchTable, error) {
	var t launchTable
	if err := json.Unmarshal(data, &t); err != nil {
		return launchTable{}, fmt.Errorf("launch flags table: %w", err)
	}
	if t.Version != 1 || t.Profiles == nil {
		return launchTable{}, errors.New("launch flags table: want version 1 with a profiles list")
	}
	for i, h := range t.QuietHosts {
		if h == "" || strings.ContainsAny(h, " ,") {
			return launchTable{}, fmt.Errorf("launch flags table: quiet_hosts[%d]: %q is not a host name", i, h)
		}
	}
	rows, err := checkRows(t.Profiles)
	if err != nil {
		return launchTable{}, err
	}
	t.Profiles = rows
	return t, nil
}

// checkRows checks the table's profile rows.
func checkRows(profiles []LaunchFlags) ([]LaunchFlags, error) {
	seen := map[[2]string]bool{}
	for i, p := range profiles {
		if p.Kind == "" || p.OS == "" {
			return nil, fmt.Errorf("launch flags table: profiles[%d]: kind and os must be non-empty strings", i)
		}
		if p.Args == nil || p.Drop == nil {
			return nil, fmt.Errorf("launch flags table: profiles[%d]: args and drop must be lists of strings", i)
		}
		for _, f := range append(append([]string{}, p.Args...), p.Drop...) {
			if !strings.HasPrefix(f, "--") || len(f) < 3 {
				return nil, fmt.Errorf("launch flags table: profiles[%d]: %q is not a --flag", i, f)
			}
		}
		k := [2]string{p.Kind, p.OS}
		if seen[k] {
			return nil, fmt.Errorf("launch flags table: profiles[%d]: a second row for kind %s on %s", i, p.Kind, p.OS)
		}
		seen[k] = true
	}
	return profiles, nil
}

// FlagsFor returns the table's row for a kind of profile on an OS (a GOOS
// name): the OS's own row, else the kind's "*" row.
func FlagsFor(kind, goos string) (LaunchFlags, error) {
	t, err := parseLaunchTable(launchFlagsJSON)
	if err != nil {
		return LaunchFlags{}, err
	}
	return flagsFor(t.Profiles, kind, goos)
}

// QuietHosts returns the table's quiet_hosts: the hosts Chromium contacts on
// its own that every browser authbridge and the runner start resolves to
// nothing. host/chromium's QuietHosts is a copy of this list (the chromium
// package is below this one); TestQuietHostsCopy fails when they differ.
func QuietHosts() ([]string, error) {
	t, err := parseLaunchTable(launchFlagsJSON)
	if err != nil {
		return nil, err
	}
	return t.QuietHosts, nil
}

func flagsFor(rows []LaunchFlags, kind, goos string) (LaunchFlags, error) {
	var any *LaunchFlags
	for i, r := range rows {
		if r.Kind != kind {
			continue
		}
		if r.OS == goos {
			return r, nil
		}
		if r.OS == "*" {
			any = &rows[i]
		}
	}
	if any != nil {
		return *any, nil
	}
	return LaunchFlags{}, fmt.Errorf("launch flags table: no row for kind %s on %s", kind, goos)
}

// ChromeFlags turns Args into chromedp flags (name without "--": value, or
// true for a flag without one).
func (f LaunchFlags) ChromeFlags() map[string]any {
	out := make(map[string]any, len(f.Args))
	for _, a := range f.Args {
		name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if ok {
			out[name] = value
		} else {
			out[name] = true
		}
	}
	return out
}

// LaunchOptions are the flags a browser on a profile of kind starts with
// on goos ("": KindApp, this OS): the launch flags table's row, then extra
// on top. A flag of the row's drop list that extra sets is set, not
// dropped. The caller fills in the executable and the profile directory.
func LaunchOptions(kind, goos string, extra map[string]any) (chromium.Options, error) {
	if kind == "" {
		kind = KindApp
	}
	if goos == "" {
		goos = runtime.GOOS
	}
	row, err := FlagsFor(kind, goos)
	if err != nil {
		return chromium.Options{}, err
	}
	flags := row.ChromeFlags()
	for k, v := range extra {
		flags[k] = v
	}
	var drop []string
	for _, d := range row.Drop {
		name, _, _ := strings.Cut(strings.TrimPrefix(d, "--"), "=")
		if _, set := extra[name]; !set {
			drop = append(drop, d)
		}
	}
	return chromium.Options{Flags: flags, Drop: drop}, nil
}
