package chromeprofile

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/internal/storetest"
	"github.com/authbridge/authbridge/internal/testtmp"
	"github.com/authbridge/authbridge/manifest"
)

func TestUserDataDirs(t *testing.T) {
	tests := []struct {
		env  manifest.Env
		want map[string]string
	}{
		{manifest.Env{OS: "linux", Home: "/home/u"}, map[string]string{
			"chrome":   "/home/u/.config/google-chrome",
			"chromium": "/home/u/.config/chromium",
			"edge":     "/home/u/.config/microsoft-edge",
			"brave":    "/home/u/.config/BraveSoftware/Brave-Browser",
			"vivaldi":  "/home/u/.config/vivaldi",
		}},
		{manifest.Env{OS: "linux", Home: "/home/u", Getenv: func(k string) string {
			if k == "XDG_CONFIG_HOME" {
				return "/xdg"
			}
			return ""
		}}, map[string]string{"chrome": "/xdg/google-chrome"}},
		{manifest.Env{OS: "darwin", Home: "/Users/u"}, map[string]string{
			"chrome":   "/Users/u/Library/Application Support/Google/Chrome",
			"chromium": "/Users/u/Library/Application Support/Chromium",
			"edge":     "/Users/u/Library/Application Support/Microsoft Edge",
			"brave":    "/Users/u/Library/Application Support/BraveSoftware/Brave-Browser",
			"vivaldi":  "/Users/u/Library/Application Support/Vivaldi",
		}},
		{manifest.Env{OS: "windows", Home: `C:\Users\u`, Getenv: func(k string) string {
			if k == "LOCALAPPDATA" {
				return `C:\Users\u\AppData\Local`
			}
			return ""
		}}, map[string]string{
			"chrome":   `C:\Users\u\AppData\Local\Google\Chrome\User Data`,
			"chromium": `C:\Users\u\AppData\Local\Chromium\User Data`,
			"edge":     `C:\Users\u\AppData\Local\Microsoft\Edge\User Data`,
			"brave":    `C:\Users\u\AppData\Local\BraveSoftware\Brave-Browser\User Data`,
			"vivaldi":  `C:\Users\u\AppData\Local\Vivaldi\User Data`,
		}},
	}
	for _, tt := range tests {
		got := map[string]string{}
		for _, d := range UserDataDirs(tt.env) {
			if d.Variant == "native" {
				got[d.Browser] = d.Dir
			}
			if d.Browser == "opera" {
				t.Errorf("UserDataDirs(%s) lists opera", tt.env.OS)
			}
		}
		for b, want := range tt.want {
			if got[b] != want {
				t.Errorf("UserDataDirs(%s)[%s] = %q, want %q", tt.env.OS, b, got[b], want)
			}
		}
	}
}

func TestUserDataDirsExists(t *testing.T) {
	home := testtmp.Dir(t)
	os.MkdirAll(filepath.Join(home, ".config", "chromium"), 0o700)
	for _, d := range UserDataDirs(manifest.Env{OS: "linux", Home: home}) {
		if want := d.Browser == "chromium" && d.Variant == "native"; d.Exists != want {
			t.Errorf("%s %s Exists = %v, want %v", d.Browser, d.Variant, d.Exists, want)
		}
	}
}

const localState = `{"profile":{"last_used":"Profile 1","info_cache":{
 "Default":{"name":"Person 1"},"Profile 1":{"name":"Work"},"Profile 2":{"name":"Home"},"Profile 9":{"name":"Gone"}}}}`

// makeUserDataDir makes a user-data-dir with Default and Profile 1 (last
// used) and Profile 2, each with a cookie store of the given cookies.
func makeUserDataDir(t *testing.T, stores map[string][]storetest.Cookie) string {
	t.Helper()
	udd := testtmp.Dir(t)
	if err := os.WriteFile(filepath.Join(udd, LocalStateFile), []byte(localState), 0o600); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(udd, "System Profile"), 0o700)
	os.MkdirAll(filepath.Join(udd, "Crashpad"), 0o700)
	for name, cs := range stores {
		dir := filepath.Join(udd, name, "Network")
		if name == "Profile 2" {
			dir = filepath.Join(udd, name) // the pre-96 layout
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := storetest.Create(filepath.Join(dir, "Cookies"), 24, cs); err != nil {
			t.Fatal(err)
		}
	}
	return udd
}

func TestProfiles(t *testing.T) {
	udd := makeUserDataDir(t, map[string][]storetest.Cookie{"Default": nil, "Profile 1": nil, "Profile 2": nil})
	os.MkdirAll(filepath.Join(udd, "Profile 10"), 0o700)
	ps, err := Profiles(udd)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Name)
	}
	if want := []string{"Default", "Profile 1", "Profile 2", "Profile 10"}; !slices.Equal(got, want) {
		t.Fatalf("Profiles = %v, want %v", got, want)
	}
	checks := map[string]struct {
		display, store string
		last, has      bool
	}{
		"Default":    {"Person 1", filepath.Join(udd, "Default", "Network", "Cookies"), false, true},
		"Profile 1":  {"Work", filepath.Join(udd, "Profile 1", "Network", "Cookies"), true, true},
		"Profile 2":  {"Home", filepath.Join(udd, "Profile 2", "Cookies"), false, true},
		"Profile 10": {"", filepath.Join(udd, "Profile 10", "Network", "Cookies"), false, false},
	}
	for _, p := range ps {
		c := checks[p.Name]
		if p.DisplayName != c.display || p.CookieStore != c.store || p.LastUsed != c.last || p.HasCookieStore() != c.has {
			t.Errorf("profile %s = %+v (has store %v), want %+v", p.Name, p, p.HasCookieStore(), c)
		}
		if p.Dir != filepath.Join(udd, p.Name) || p.UserDataDir != udd {
			t.Errorf("profile %s dirs = %s, %s", p.Name, p.Dir, p.UserDataDir)
		}
	}
	ls, err := ReadLocalState(udd)
	if err != nil || ls.LastUsed != "Profile 1" || ls.Profiles["Profile 2"] != "Home" {
		t.Errorf("ReadLocalState = %+v, %v", ls, err)
	}
}

func TestProfilesWithoutLocalState(t *testing.T) {
	udd := testtmp.Dir(t)
	os.MkdirAll(filepath.Join(udd, "Default"), 0o700)
	ps, err := Profiles(udd)
	if err != nil || len(ps) != 1 || !ps[0].LastUsed {
		t.Fatalf("Profiles = %+v, %v, want Default as last used", ps, err)
	}
	if _, err := Profiles(filepath.Join(udd, "missing")); err == nil {
		t.Error("Profiles(missing) = nil error")
	}
}

// signedIn is a sign-in's cookies with the expiries of one profile.
func signedIn(created time.Time) []storetest.Cookie {
	return []storetest.Cookie{
		{HostKey: ".github.com", Name: "_octo", Path: "/", Created: created, Expires: created.Add(365 * 24 * time.Hour)},
		{HostKey: "github.com", Name: "user_session", Path: "/", Created: created, Expires: created.Add(14 * 24 * time.Hour), Secure: true, HTTPOnly: true},
		{HostKey: ".github.com", Name: "logged_in", Path: "/", Created: created, Expires: created.Add(365 * 24 * time.Hour), Secure: true},
		{HostKey: ".demo.test", Name: "sid", Path: "/", Created: created, Expires: created.Add(48 * time.Hour)},
	}
}

func live(cs []storetest.Cookie) []apitype.CookieMeta {
	var out []apitype.CookieMeta
	for _, c := range cs {
		out = append(out, apitype.CookieMeta{Name: c.Name, Domain: c.HostKey, Path: c.Path,
			ExpirationDate: float64(c.Expires.UnixMicro()) / 1e6})
	}
	// A session cookie only the live side has.
	return append(out, apitype.CookieMeta{Name: "tmp", Domain: "github.com", Path: "/", Session: true})
}

func TestBindCookieMatch(t *testing.T) {
	t0 := time.Date(2025, 5, 1, 10, 0, 0, 123456000, time.UTC)
	// The same sites are signed in everywhere, at different times.
	udd := makeUserDataDir(t, map[string][]storetest.Cookie{
		"Default":   signedIn(t0),
		"Profile 1": signedIn(t0.Add(time.Hour)),
		"Profile 2": signedIn(t0.Add(2 * time.Hour)),
	})
	ps, err := Profiles(udd)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Bind(ps, live(signedIn(t0.Add(2*time.Hour))))
	if err != nil {
		t.Fatal(err)
	}
	if b.ProfileDir != filepath.Join(udd, "Profile 2") || b.Method != MethodCookieMatch || b.Assumed() {
		t.Fatalf("Bind = %+v, want Profile 2 by cookie-match", b)
	}
	if b.Matched != 4 || b.Considered != 4 || b.RunnerUp != 0 || b.UserDataDir != udd {
		t.Errorf("Bind scores = %+v", b)
	}
	t.Log(b.Evidence)
}

func TestBindFallbacks(t *testing.T) {
	t0 := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	same := signedIn(t0)
	udd := makeUserDataDir(t, map[string][]storetest.Cookie{"Default": same, "Profile 1": same, "Profile 2": nil})
	ps, _ := Profiles(udd)

	// The same cookies in two stores decide nothing.
	b, err := Bind(ps, live(same))
	if err != nil || b.Method != MethodLastUsed || b.ProfileDir != filepath.Join(udd, "Profile 1") || !b.Assumed() {
		t.Errorf("Bind(ambiguous) = %+v, %v, want last used, assumed", b, err)
	}
	// No live cookies at all.
	b, err = Bind(ps, nil)
	if err != nil || b.Method != MethodLastUsed {
		t.Errorf("Bind(no cookies) = %+v, %v", b, err)
	}
	// No last used among the candidates: Default.
	var noLast []Profile
	for _, p := range ps {
		p.LastUsed = false
		noLast = append(noLast, p)
	}
	b, err = Bind(noLast, nil)
	if err != nil || b.Method != MethodDefault || b.ProfileDir != filepath.Join(udd, "Default") {
		t.Errorf("Bind(no last used) = %+v, %v", b, err)
	}
	// One candidate.
	b, err = Bind(ps[2:3], nil)
	if err != nil || b.Method != MethodOnlyProfile || b.Assumed() {
		t.Errorf("Bind(one) = %+v, %v", b, err)
	}
	if _, err := Bind(nil, nil); err == nil {
		t.Error("Bind(none) = nil error")
	}
	if _, err := Bind(noLast[1:], nil); err == nil {
		t.Error("Bind(no default, no last used) = nil error")
	}
}
