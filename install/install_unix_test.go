//go:build !windows

package install

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authbridge/authbridge/internal/testtmp"
	"github.com/authbridge/authbridge/manifest"
)

func TestDryRunWritesNothing(t *testing.T) {
	m := newMachine(t)
	touch(t, m.home, ".config/chromium/Local State", "{}")
	before := snapshot(t, m.home, m.root)
	o := m.opts()
	o.DryRun = true
	rep, err := Install(o)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.DryRun || actions(rep) != "chromium:installed" {
		t.Errorf("dry-run Install = %s (dry_run %v)", actions(rep), rep.DryRun)
	}
	if got := snapshot(t, m.home, m.root); got != before {
		t.Errorf("dry-run Install wrote:\n%s", got)
	}
	o.DryRun = false
	if _, err := Install(o); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, m.home, m.root)
	o.DryRun = true
	rep, err = Uninstall(o)
	if err != nil || actions(rep) != "chromium:removed" {
		t.Errorf("dry-run Uninstall = %s, %v", actions(rep), err)
	}
	if got := snapshot(t, m.home, m.root); got != after {
		t.Errorf("dry-run Uninstall changed files")
	}
}

func TestInstallErrors(t *testing.T) {
	m := newMachine(t)
	before := snapshot(t, m.home, m.root)
	o := m.opts()
	if _, err := Install(o); !errors.Is(err, ErrNoBrowser) {
		t.Errorf("Install with no browser = %v, want ErrNoBrowser", err)
	}
	o.Browsers = []string{"chromium", "safari"}
	if _, err := Install(o); !errors.Is(err, ErrUnknownBrowser) || !strings.Contains(err.Error(), "safari") {
		t.Errorf("Install(--browser safari) = %v, want ErrUnknownBrowser", err)
	}
	o.Browsers = []string{"chromium"}
	o.ExtensionIDs = []string{"not-an-id"}
	if _, err := Install(o); !errors.Is(err, manifest.ErrInvalid) {
		t.Errorf("Install(--extension-id not-an-id) = %v, want manifest.ErrInvalid", err)
	}
	o.ExtensionIDs = nil
	o.Binary = filepath.Join(m.home, "missing")
	if _, err := Install(o); err == nil {
		t.Error("Install with a missing binary = nil error")
	}
	o.Binary = ""
	if _, err := Install(o); !errors.Is(err, ErrNoBinary) {
		t.Errorf("Install without binary = %v", err)
	}
	o.Home = ""
	if _, err := Install(o); !errors.Is(err, ErrNoHome) {
		t.Errorf("Install without home = %v", err)
	}
	if got := snapshot(t, m.home, m.root); got != before {
		t.Errorf("failed Installs wrote:\n%s", got)
	}
}

func TestInstallNamedBrowserOnEmptyHome(t *testing.T) {
	m := newMachine(t)
	before := snapshot(t, m.home, m.root)
	o := m.opts()
	o.Browsers = []string{"chromium"}
	rep, err := Install(o)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(m.home, ".config/chromium/NativeMessagingHosts/com.authbridge.host.json")
	if len(rep.Results) != 1 || rep.Results[0].Path != want || rep.Results[0].Action != Installed || rep.Results[0].Note == "" {
		t.Fatalf("Install(--browser chromium) = %+v", rep.Results)
	}
	if _, err := Uninstall(o); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, m.home, m.root); got != before {
		t.Errorf("Uninstall left folders install created:\n%s", got)
	}
}

func TestInstallSkipsSandboxesAndOtherOS(t *testing.T) {
	m := newMachine(t)
	touch(t, m.home, "snap/chromium/common/chromium/Local State", "{}")
	touch(t, m.home, ".var/app/com.google.Chrome/config/google-chrome/Local State", "{}")
	before := snapshot(t, m.home, m.root)
	o := m.opts()
	rep, err := Install(o)
	if err != nil {
		t.Fatalf("Install = %v", err)
	}
	if actions(rep) != "chrome:skipped chromium:skipped" {
		t.Errorf("Install = %s, want both sandboxes skipped", actions(rep))
	}
	for _, r := range rep.Results {
		if r.Variant == "" || !strings.Contains(r.Note, "cannot") {
			t.Errorf("sandbox result %+v lacks variant or explanation", r)
		}
	}
	if got := snapshot(t, m.home, m.root); got != before {
		t.Errorf("Install wrote into a sandbox:\n%s", got)
	}
	if found := Detect(o); len(found) != 2 || found[0].Variant != "flatpak" || found[1].Variant != "snap" {
		t.Errorf("Detect = %+v", found)
	}

	o.Browsers = []string{"arc"}
	rep, err = Install(o)
	if err != nil || actions(rep) != "arc:skipped" || !strings.Contains(rep.Results[0].Note, "not available on linux") {
		t.Errorf("Install(--browser arc) on linux = %+v, %v", rep.Results, err)
	}
}

func TestInstallSystem(t *testing.T) {
	m := newMachine(t)
	// Folders a real system has before authbridge.
	for _, d := range []string{"etc/opt", "etc/chromium"} {
		if err := os.MkdirAll(filepath.Join(m.root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshot(t, m.home, m.root)
	o := m.opts()
	o.System = true
	o.Browsers = []string{"chrome", "chrome-beta", "chromium"}
	rep, err := Install(o)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Action{}
	for _, r := range rep.Results {
		got[r.Browser+" "+r.Path] = r.Action
	}
	chromeFile := filepath.Join(m.root, "etc/opt/chrome/native-messaging-hosts/com.authbridge.host.json")
	if got["chrome "+chromeFile] != Installed || got["chrome-beta "+chromeFile] != Installed {
		t.Errorf("system Install = %v", got)
	}
	if got["chromium "+filepath.Join(m.root, "etc/chromium/native-messaging-hosts/com.authbridge.host.json")] != Installed {
		t.Errorf("system Install = %v", got)
	}
	if _, err := os.Stat(filepath.Join(m.home, ".config")); err == nil {
		t.Error("system Install wrote to the home")
	}
	if _, err := Uninstall(o); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, m.home, m.root); got != before {
		t.Errorf("system Uninstall left:\n%s\nwant\n%s", got, before)
	}
}

// TestInstallUninstallEachLinuxBrowser installs for each Linux browser found
// in a fake home, installs again (nothing changes, not even an mtime), then
// uninstalls and finds the home exactly as it was.
func TestInstallUninstallEachLinuxBrowser(t *testing.T) {
	env := manifest.Env{OS: "linux"}
	for _, b := range manifest.Browsers() {
		p, ok := b.Platforms["linux"]
		if !ok {
			continue
		}
		t.Run(b.Name, func(t *testing.T) {
			m := newMachine(t)
			env.Home = m.home
			touch(t, env.Resolve(p.UserDataDir), "Local State", "{}")
			before := snapshot(t, m.home, m.root)

			rep, err := Install(m.opts())
			if err != nil {
				t.Fatalf("Install = %v", err)
			}
			want, _ := manifest.ForFamily(manifest.FamilyOf(b), "linux", m.bin)
			var mine int
			for _, r := range rep.Results {
				if r.Browser != b.Name {
					t.Errorf("Install reported %s, want only %s: %+v", r.Browser, b.Name, r)
					continue
				}
				mine++
				if r.Action != Installed {
					t.Errorf("Install(%s) %s = %s, want installed", b.Name, r.Path, r.Action)
				}
				data, err := os.ReadFile(r.Path)
				if err != nil || string(data) != string(want.Marshal()) {
					t.Errorf("manifest %s = %q, %v; want %q", r.Path, data, err, want.Marshal())
				}
				if fi, err := os.Stat(r.Path); err != nil || fi.Mode().Perm() != 0o644 {
					t.Errorf("manifest %s mode = %v, %v; want 0644", r.Path, fi.Mode(), err)
				}
			}
			if mine != len(p.UserHosts) {
				t.Errorf("Install(%s) wrote %d locations, want %d", b.Name, mine, len(p.UserHosts))
			}
			if !rep.Changed() {
				t.Error("first Install reports no change")
			}

			after := snapshot(t, m.home, m.root)
			rep2, err := Install(m.opts())
			if err != nil {
				t.Fatalf("second Install = %v", err)
			}
			for _, r := range rep2.Results {
				if r.Action != Unchanged {
					t.Errorf("second Install %s = %s, want unchanged", r.Path, r.Action)
				}
			}
			if rep2.Changed() {
				t.Error("second Install reports a change")
			}
			if got := snapshot(t, m.home, m.root); got != after {
				t.Errorf("second Install changed the filesystem:\n%s\nwant\n%s", got, after)
			}

			rep3, err := Uninstall(m.opts())
			if err != nil {
				t.Fatalf("Uninstall = %v", err)
			}
			for _, r := range rep3.Results {
				if r.Action != Removed {
					t.Errorf("Uninstall %s %s = %s (%s), want removed", r.Browser, r.Path, r.Action, r.Note)
				}
			}
			if got := snapshot(t, m.home, m.root); got != before {
				t.Errorf("Uninstall left something behind:\n%s\nwant\n%s", got, before)
			}
		})
	}
}

func TestInstallUpdates(t *testing.T) {
	m := newMachine(t)
	o := m.opts()
	o.Browsers = []string{"chromium"}
	file := touch(t, m.home, ".config/chromium/NativeMessagingHosts/com.authbridge.host.json", `{"name":"com.authbridge.host","path":"/old"}`)
	rep, err := Install(o)
	if err != nil || actions(rep) != "chromium:updated" {
		t.Fatalf("Install over a stale manifest = %s, %v", actions(rep), err)
	}
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err = Install(o)
	if err != nil || actions(rep) != "chromium:updated" {
		t.Errorf("Install over a 0600 manifest = %s, %v", actions(rep), err)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", fi.Mode())
	}
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestInstallUserDataDir(t *testing.T) {
	m := newMachine(t)
	dir := filepath.Join(m.home, "profiles", "test")
	touch(t, dir, "Local State", "{}")
	before := snapshot(t, m.home, m.root)
	o := m.opts()
	o.UserDataDir = dir
	o.ExtensionIDs = []string{"abcdefghijklmnopabcdefghijklmnop"}
	rep, err := Install(o)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "NativeMessagingHosts", "com.authbridge.host.json")
	if len(rep.Results) != 1 || rep.Results[0].Path != file || rep.Results[0].Action != Installed {
		t.Fatalf("Install(--user-data-dir) = %+v", rep.Results)
	}
	data, _ := os.ReadFile(file)
	got, err := manifest.Parse(data)
	if err != nil || !got.Allows(manifest.ExtensionID) || !got.Allows("abcdefghijklmnopabcdefghijklmnop") || got.Path != m.bin {
		t.Errorf("manifest = %+v, %v", got, err)
	}
	if _, err := Uninstall(o); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, m.home, m.root); got != before {
		t.Errorf("Uninstall(--user-data-dir) left:\n%s", got)
	}
}

// Opera reads Chrome's folder: uninstalling Opera alone keeps it for Chrome.
func TestUninstallKeepsSharedLocation(t *testing.T) {
	m := newMachine(t)
	touch(t, m.home, ".config/google-chrome/Local State", "{}")
	touch(t, m.home, ".config/opera/Local State", "{}")
	if _, err := Install(m.opts()); err != nil {
		t.Fatal(err)
	}
	o := m.opts()
	o.Browsers = []string{"opera"}
	rep, err := Uninstall(o)
	if err != nil {
		t.Fatal(err)
	}
	chromeFile := filepath.Join(m.home, ".config/google-chrome/NativeMessagingHosts/com.authbridge.host.json")
	operaFile := filepath.Join(m.home, ".config/opera/NativeMessagingHosts/com.authbridge.host.json")
	for _, r := range rep.Results {
		switch r.Path {
		case chromeFile:
			if r.Action != Skipped || !strings.Contains(r.Note, "Google Chrome") {
				t.Errorf("shared file: %+v, want skipped because of Chrome", r)
			}
		case operaFile:
			if r.Action != Removed {
				t.Errorf("opera file: %+v, want removed", r)
			}
		}
	}
	if _, err := os.Stat(chromeFile); err != nil {
		t.Errorf("Chrome's manifest was removed: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(operaFile)); !os.IsNotExist(err) {
		t.Errorf("Opera's NativeMessagingHosts folder remains: %v", err)
	}
}

func TestWindowsRegistry(t *testing.T) {
	dir := testtmp.Dir(t)
	reg := newFakeRegistry()
	o := Options{OS: "windows", Home: `C:\Users\u`, Binary: `C:\Program Files\authbridge\authbridge.exe`,
		ManifestDir: dir, Registry: reg, Browsers: []string{"chrome", "brave", "edge"}}
	rep, err := Install(o)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "com.authbridge.host.json")
	want := map[string]string{
		`HKCU|64-bit|software\google\chrome\nativemessaginghosts\com.authbridge.host`:               file,
		`HKCU|64-bit|software\bravesoftware\brave-browser\nativemessaginghosts\com.authbridge.host`: file,
		`HKCU|64-bit|software\microsoft\edge\nativemessaginghosts\com.authbridge.host`:              file,
	}
	if len(reg.values) != len(want) {
		t.Errorf("registry = %v, want %v", reg.values, want)
	}
	for k, v := range want {
		if reg.values[k] != v {
			t.Errorf("registry %s = %q, want %q", k, reg.values[k], v)
		}
	}
	if a := actions(rep); a != "chrome:installed edge:installed brave:installed brave:installed" {
		t.Errorf("Install = %s", a)
	}
	data, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(data), `"C:\\Program Files\\authbridge\\authbridge.exe"`) {
		t.Errorf("manifest file = %s, %v", data, err)
	}
	rep, _ = Install(o)
	if rep.Changed() {
		t.Errorf("second Install = %s, want unchanged", actions(rep))
	}

	// Uninstalling Edge keeps the file: Chrome's key still points at it.
	o2 := o
	o2.Browsers = []string{"edge"}
	if rep, err := Uninstall(o2); err != nil || actions(rep) != "edge:removed" {
		t.Errorf("Uninstall(edge) = %s, %v", actions(rep), err)
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("manifest file removed while Chrome still uses it: %v", err)
	}
	o.Browsers = nil
	rep, err = Uninstall(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.values) != 0 {
		t.Errorf("registry after Uninstall = %v", reg.values)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("manifest file after Uninstall: %v (%s)", err, actions(rep))
	}

	o.System = true
	o.Browsers = []string{"chromium"}
	if _, err := Install(o); err != nil {
		t.Fatal(err)
	}
	if reg.values[`HKLM|64-bit|software\chromium\nativemessaginghosts\com.authbridge.host`] != file {
		t.Errorf("system Install registry = %v", reg.values)
	}
	o.UserDataDir = dir
	rep, _ = Install(o)
	if !strings.Contains(actions(rep), "user-data-dir:skipped") {
		t.Errorf("Install(--user-data-dir) on windows = %s, want skipped", actions(rep))
	}
}

func TestSystemRegistryUnsupportedOffWindows(t *testing.T) {
	if filepath.Separator == '\\' {
		t.Skip("Windows has the real registry; this test is for the other OSes (CI runs it on Linux)")
	}
	if err := SystemRegistry().SetDefault(HKCU, `Software\x`, "v"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("SetDefault = %v, want ErrUnsupported", err)
	}
}
