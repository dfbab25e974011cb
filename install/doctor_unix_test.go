//go:build !windows

package install

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDoctorBrokenStates(t *testing.T) {
	fix := "authbridge install --browser chromium"
	tests := []struct {
		name    string
		breakIt func(t *testing.T, m machine, o *Options)
		check   string
		message string
		fix     string
	}{
		{"no manifest", func(t *testing.T, m machine, o *Options) {
			os.Remove(userManifest(m))
		}, "manifest", "Chromium has no com.authbridge.host manifest in", fix},
		{"relative path", func(t *testing.T, m machine, o *Options) {
			writeManifest(t, userManifest(m), "bin/authbridge", devOrigin)
		}, "path", `path "bin/authbridge" is not absolute`, fix},
		{"moved binary", func(t *testing.T, m machine, o *Options) {
			if err := os.Rename(m.bin, m.bin+".moved"); err != nil {
				t.Fatal(err)
			}
			o.Binary = m.bin + ".moved"
		}, "path", "does not exist (moved or deleted?)", fix},
		{"binary not executable", func(t *testing.T, m machine, o *Options) {
			os.Chmod(m.bin, 0o644)
		}, "executable", "is not executable", "chmod +x " + "BIN"},
		{"another binary", func(t *testing.T, m machine, o *Options) {
			o.Binary = touch(t, filepath.Dir(m.bin), "authbridge-new", "")
			os.Chmod(o.Binary, 0o755)
		}, "same-binary", "not this authbridge", fix},
		{"wrong origin", func(t *testing.T, m machine, o *Options) {
			writeManifest(t, userManifest(m), m.bin, "chrome-extension://abcdefghijklmnopabcdefghijklmnop/")
		}, "origins", "lacks " + devOrigin, fix},
		{"missing extra origin", func(t *testing.T, m machine, o *Options) {
			o.ExtensionIDs = []string{"abcdefghijklmnopabcdefghijklmnop"}
		}, "origins", "lacks chrome-extension://abcdefghijklmnopabcdefghijklmnop/", fix + " --extension-id abcdefghijklmnopabcdefghijklmnop"},
		{"invalid JSON", func(t *testing.T, m machine, o *Options) {
			os.WriteFile(userManifest(m), []byte("{"), 0o644)
		}, "manifest", "is not valid JSON", fix},
		{"shadowing manifest", func(t *testing.T, m machine, o *Options) {
			// The working manifest is system-wide; a stale user one shadows it.
			data, _ := os.ReadFile(userManifest(m))
			touch(t, m.root, "etc/chromium/native-messaging-hosts/com.authbridge.host.json", string(data))
			writeManifest(t, userManifest(m), "/nowhere/authbridge", devOrigin)
		}, "path", "/nowhere/authbridge", fix},
		{"policy turns user-level hosts off", func(t *testing.T, m machine, o *Options) {
			touch(t, m.root, "etc/chromium/policies/managed/site.json", `{"NativeMessagingUserLevelHosts": false}`)
		}, "manifest", "Chromium has no com.authbridge.host manifest", "sudo authbridge install --browser chromium --system"},
		{"policy blocklist", func(t *testing.T, m machine, o *Options) {
			touch(t, m.root, "etc/chromium/policies/managed/block.json", `{"NativeMessagingBlocklist": ["*"]}`)
		}, "policy", "blocks com.authbridge.host", "ask your administrator to add com.authbridge.host to NativeMessagingAllowlist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, o := chromiumMachine(t, true)
			tt.breakIt(t, m, &o)
			rep := Doctor(o, Hooks{})
			var found *Finding
			for _, p := range rep.Problems() {
				if p.Check == tt.check {
					found = &p
					break
				}
			}
			if found == nil {
				t.Fatalf("Doctor problems = %+v, want a %s problem", rep.Problems(), tt.check)
			}
			if !strings.Contains(found.Message, tt.message) {
				t.Errorf("message = %q, want it to contain %q", found.Message, tt.message)
			}
			wantFix := strings.ReplaceAll(tt.fix, "BIN", m.bin)
			if found.Fix != wantFix {
				t.Errorf("fix = %q, want %q", found.Fix, wantFix)
			}
			if rep.OK {
				t.Error("report OK")
			}
		})
	}
}

func TestDoctorHealthy(t *testing.T) {
	m, o := chromiumMachine(t, true)
	rep := Doctor(o, Hooks{})
	if !rep.OK || len(rep.Browsers) != 1 || rep.Browsers[0].Manifest != userManifest(m) {
		t.Fatalf("Doctor = %+v", rep)
	}
	if f := rep.Browsers[0].Findings; len(f) != 1 || f[0].Status != OK {
		t.Errorf("findings = %+v", f)
	}
}

func TestDoctorHooks(t *testing.T) {
	now := time.Date(2025, 1, 2, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		hooks  Hooks
		check  string
		status Status
		fix    string
	}{
		{"agent down", Hooks{Agent: func() error { return errors.New("connect: no such file") }}, "agent", Problem, "authbridge serve"},
		{"agent up", Hooks{Agent: func() error { return nil }}, "agent", OK, ""},
		{"extension never connected", Hooks{ExtensionLastSeen: func() (time.Time, error) { return time.Time{}, nil }}, "extension", Problem,
			"open the browser with the authbridge extension enabled (chrome://extensions)"},
		{"extension long ago", Hooks{Now: func() time.Time { return now },
			ExtensionLastSeen: func() (time.Time, error) { return now.Add(-72 * time.Hour), nil }}, "extension", Warning,
			"open the browser with the authbridge extension enabled (chrome://extensions)"},
		{"extension recent", Hooks{Now: func() time.Time { return now },
			ExtensionLastSeen: func() (time.Time, error) { return now.Add(-time.Minute), nil }}, "extension", OK, ""},
		{"no bound profile", Hooks{BoundProfile: func() (string, error) { return "", nil }}, "profile", Info, ""},
		{"bound profile", Hooks{BoundProfile: func() (string, error) { return "Default", nil }}, "profile", OK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, o := chromiumMachine(t, true)
			rep := Doctor(o, tt.hooks)
			if len(rep.Findings) != 1 {
				t.Fatalf("findings = %+v", rep.Findings)
			}
			f := rep.Findings[0]
			if f.Check != tt.check || f.Status != tt.status || f.Fix != tt.fix {
				t.Errorf("finding = %+v, want %s %s fix %q", f, tt.check, tt.status, tt.fix)
			}
			if rep.OK != (tt.status != Problem) {
				t.Errorf("OK = %v", rep.OK)
			}
		})
	}
}

func TestDoctorShadowing(t *testing.T) {
	t.Run("stale user manifest shadows a working system one", func(t *testing.T) {
		m, o := chromiumMachine(t, true)
		data, _ := os.ReadFile(userManifest(m))
		touch(t, m.root, "etc/chromium/native-messaging-hosts/com.authbridge.host.json", string(data))
		writeManifest(t, userManifest(m), "/nowhere/authbridge", devOrigin)
		rep := Doctor(o, Hooks{})
		var shadow *Finding
		for _, f := range rep.Browsers[0].Findings {
			if f.Check == "shadow" {
				shadow = &f
			}
		}
		if shadow == nil || shadow.Status != Problem || !strings.Contains(shadow.Message, "shadows the working") ||
			shadow.Fix != "authbridge install --browser chromium" || shadow.Path != userManifest(m) {
			t.Errorf("shadow finding = %+v", shadow)
		}
		if rep.Browsers[0].Manifest != userManifest(m) {
			t.Errorf("winning manifest = %s, want the user-level one", rep.Browsers[0].Manifest)
		}
	})
	t.Run("working user manifest shadows another system one", func(t *testing.T) {
		m, o := chromiumMachine(t, true)
		writeManifest(t, filepath.Join(m.root, "etc/chromium/native-messaging-hosts/com.authbridge.host.json"), "/old/authbridge", devOrigin)
		rep := Doctor(o, Hooks{})
		if !rep.OK {
			t.Fatalf("problems = %+v", rep.Problems())
		}
		var info bool
		for _, f := range rep.Browsers[0].Findings {
			if f.Check == "shadow" && f.Status == Info && strings.Contains(f.Message, "is ignored") {
				info = true
			}
		}
		if !info {
			t.Errorf("findings = %+v, want an info line about the ignored system manifest", rep.Browsers[0].Findings)
		}
	})
	t.Run("policy off with a system manifest works", func(t *testing.T) {
		m, o := chromiumMachine(t, true)
		touch(t, m.root, "etc/chromium/policies/managed/site.json", `{"NativeMessagingUserLevelHosts": false}`)
		so := o
		so.System = true
		if _, err := Install(so); err != nil {
			t.Fatal(err)
		}
		rep := Doctor(o, Hooks{})
		if !rep.OK {
			t.Fatalf("problems = %+v", rep.Problems())
		}
		want := filepath.Join(m.root, "etc/chromium/native-messaging-hosts/com.authbridge.host.json")
		if rep.Browsers[0].Manifest != want {
			t.Errorf("winning manifest = %s, want %s", rep.Browsers[0].Manifest, want)
		}
	})
}

func TestDoctorUserDataDir(t *testing.T) {
	m := newMachine(t)
	dir := filepath.Join(m.home, "my profile")
	o := m.opts()
	o.UserDataDir = dir
	f := only(t, Doctor(o, Hooks{}))
	if f.Fix != "authbridge install --user-data-dir '"+dir+"'" {
		t.Errorf("fix = %q", f.Fix)
	}
	if _, err := Install(o); err != nil {
		t.Fatal(err)
	}
	if rep := Doctor(o, Hooks{}); !rep.OK {
		t.Errorf("after install: %+v", rep.Problems())
	}
}

// TestDoctorIgnoresHostsFoldersAlone checks that a hosts folder install
// wrote (for a browser named with --browser) does not make doctor report a
// browser that is not installed.
func TestDoctorIgnoresHostsFoldersAlone(t *testing.T) {
	m, o := chromiumMachine(t, true)
	for _, b := range []string{"firefox", "librewolf"} {
		if _, err := Install(Options{OS: o.OS, Home: o.Home, Root: o.Root, Binary: o.Binary, Browsers: []string{b}}); err != nil {
			t.Fatal(err)
		}
	}
	rep := Doctor(m.opts(), Hooks{})
	var names []string
	for _, b := range rep.Browsers {
		names = append(names, b.Browser)
	}
	if strings.Join(names, ",") != "chromium" || !rep.OK {
		t.Errorf("doctor on a machine with Chromium only reports %v (ok %v), want chromium alone", names, rep.OK)
	}
}
