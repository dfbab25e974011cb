package install

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authbridge/authbridge/internal/testtmp"
	"github.com/authbridge/authbridge/manifest"
)

// chromiumMachine is a fake home with Chromium installed and, if install is
// set, authbridge registered for it.
func chromiumMachine(t *testing.T, install bool) (machine, Options) {
	t.Helper()
	m := newMachine(t)
	touch(t, m.home, ".config/chromium/Local State", "{}")
	o := m.opts()
	if install {
		if _, err := Install(o); err != nil {
			t.Fatal(err)
		}
	}
	return m, o
}

func userManifest(m machine) string {
	return filepath.Join(m.home, ".config/chromium/NativeMessagingHosts/com.authbridge.host.json")
}

// writeManifest writes a manifest with the given path and origins.
func writeManifest(t *testing.T, file, bin string, origins ...string) {
	t.Helper()
	mf := manifest.Manifest{Name: manifest.HostName, Description: "x", Path: bin, Type: "stdio", AllowedOrigins: origins}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, mf.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
}

var devOrigin = "chrome-extension://" + manifest.ExtensionID + "/"

// only returns the single problem of the report, failing otherwise.
func only(t *testing.T, rep DoctorReport) Finding {
	t.Helper()
	ps := rep.Problems()
	if len(ps) != 1 {
		t.Fatalf("problems = %+v, want exactly one", ps)
	}
	if rep.OK {
		t.Error("report OK with a problem")
	}
	return ps[0]
}

func TestDoctorSandbox(t *testing.T) {
	m := newMachine(t)
	touch(t, m.home, "snap/chromium/common/chromium/Local State", "{}")
	rep := Doctor(m.opts(), Hooks{})
	if len(rep.Browsers) != 1 || len(rep.Browsers[0].Findings) != 1 {
		t.Fatalf("Doctor = %+v", rep)
	}
	f := rep.Browsers[0].Findings[0]
	if f.Check != "sandbox" || f.Status != Warning || !strings.Contains(f.Message, "snap") ||
		!strings.Contains(f.Message, "cannot start a host binary") || !strings.Contains(f.Fix, "authbridge install --browser chromium") {
		t.Errorf("sandbox finding = %+v", f)
	}
}

func TestDoctorNoBrowser(t *testing.T) {
	m := newMachine(t)
	rep := Doctor(m.opts(), Hooks{})
	f := only(t, rep)
	if f.Check != "browser" || !strings.HasPrefix(f.Fix, "authbridge install --browser") {
		t.Errorf("finding = %+v", f)
	}
}

// On Windows the 32-bit view of HKCU is read first: a stale key there
// shadows the working one in the 64-bit view.
func TestDoctorWindowsShadow(t *testing.T) {
	dir := testtmp.Dir(t)
	bin := touch(t, dir, "authbridge.exe", "")
	good := filepath.Join(dir, "good.json")
	stale := filepath.Join(dir, "stale.json")
	writeManifest(t, good, "authbridge.exe", devOrigin)
	writeManifest(t, stale, "old.exe", devOrigin)
	reg := newFakeRegistry()
	key := `Software\Google\Chrome\NativeMessagingHosts\com.authbridge.host`
	reg.values[regKey(HKCU, View64, key)] = good
	o := Options{OS: "windows", Home: `C:\Users\u`, Binary: bin, Registry: reg, Browsers: []string{"chrome"}}

	rep := Doctor(o, Hooks{})
	if !rep.OK || rep.Browsers[0].Manifest != good {
		t.Fatalf("healthy Windows doctor = %+v", rep)
	}

	reg.values[regKey(HKCU, View32, key)] = stale
	rep = Doctor(o, Hooks{})
	if rep.Browsers[0].Manifest != stale || !strings.Contains(rep.Browsers[0].RegistryKey, "32-bit") {
		t.Errorf("winner = %s %s, want the 32-bit key", rep.Browsers[0].Manifest, rep.Browsers[0].RegistryKey)
	}
	var shadow bool
	for _, p := range rep.Problems() {
		if p.Check == "shadow" && p.Fix == "authbridge install --browser chrome" {
			shadow = true
		}
	}
	if !shadow {
		t.Errorf("problems = %+v, want a shadow problem", rep.Problems())
	}

	// HKCU wins over HKLM, and a policy can turn HKCU off.
	delete(reg.values, regKey(HKCU, View32, key))
	reg.values[regKey(HKLM, View32, key)] = stale
	if rep := Doctor(o, Hooks{}); rep.Browsers[0].Manifest != good {
		t.Errorf("HKCU should win over HKLM: %s", rep.Browsers[0].Manifest)
	}
	reg.ints[`HKLM|software\policies\google\chrome|NativeMessagingUserLevelHosts`] = 0
	rep = Doctor(o, Hooks{})
	if rep.Browsers[0].Manifest != stale {
		t.Errorf("with the policy off, HKLM should be used: %s", rep.Browsers[0].Manifest)
	}
	var policy bool
	for _, f := range rep.Browsers[0].Findings {
		if f.Check == "policy" && f.Fix == "authbridge install --browser chrome --system" {
			policy = true
		}
	}
	if !policy {
		t.Errorf("findings = %+v, want a policy finding", rep.Browsers[0].Findings)
	}
}
