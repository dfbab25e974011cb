//go:build !windows

package install

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authbridge/authbridge/manifest"
)

func TestDoctorFirefox(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, m machine, o Options)
		check     string // the one problem's check, "" for healthy
		inMessage string
	}{
		{"installed", func(t *testing.T, m machine, o Options) {
			if _, err := Install(o); err != nil {
				t.Fatal(err)
			}
		}, "", ""},
		{"missing", func(t *testing.T, m machine, o Options) {}, "manifest", ".mozilla/native-messaging-hosts"},
		{"points elsewhere", func(t *testing.T, m machine, o Options) {
			other := touch(t, m.home, "old/authbridge", "#!/bin/sh\n")
			os.Chmod(other, 0o755)
			fm, _ := manifest.NewFirefox("linux", other)
			touch(t, filepath.Dir(firefoxManifest(m)), "com.authbridge.host.json", string(fm.Marshal()))
		}, "same-binary", "old/authbridge"},
		{"binary gone", func(t *testing.T, m machine, o Options) {
			fm, _ := manifest.NewFirefox("linux", filepath.Join(m.home, "gone/authbridge"))
			touch(t, filepath.Dir(firefoxManifest(m)), "com.authbridge.host.json", string(fm.Marshal()))
		}, "path", "does not exist"},
		{"chromium manifest in the Firefox folder", func(t *testing.T, m machine, o Options) {
			writeManifest(t, firefoxManifest(m), m.bin, devOrigin)
		}, "origins", "allowed_extensions"},
		{"another gecko id only", func(t *testing.T, m machine, o Options) {
			fm, _ := manifest.NewFirefox("linux", m.bin)
			fm.AllowedExtensions = []string{"someone@else.org"}
			touch(t, filepath.Dir(firefoxManifest(m)), "com.authbridge.host.json", string(fm.Marshal()))
		}, "origins", manifest.GeckoID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, o := firefoxMachine(t)
			o.Browsers = []string{"firefox"}
			tt.setup(t, m, o)
			rep := Doctor(o, Hooks{})
			if tt.check == "" {
				if !rep.OK {
					t.Fatalf("Doctor = %+v, want OK", rep.Problems())
				}
				return
			}
			p := only(t, rep)
			if p.Check != tt.check || !strings.Contains(p.Message, tt.inMessage) {
				t.Errorf("Doctor problem = %s %q, want %s naming %q", p.Check, p.Message, tt.check, tt.inMessage)
			}
			if p.Fix != "authbridge install --browser firefox" {
				t.Errorf("Doctor fix = %q, want authbridge install --browser firefox", p.Fix)
			}
		})
	}
}

func TestInstallFirefoxWritesAllowedExtensions(t *testing.T) {
	m, o := firefoxMachine(t)
	touch(t, m.home, ".config/chromium/Local State", "{}")
	o.ExtensionIDs = []string{"dev@example.org", "abcdefghijklmnopabcdefghijklmnop"}
	rep, err := Install(o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.FirefoxManifest == nil || rep.Manifest == nil {
		t.Fatalf("report manifests: chromium %v firefox %v", rep.Manifest, rep.FirefoxManifest)
	}
	got, err := manifest.Parse(mustRead(t, firefoxManifest(m)))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.AllowedOrigins) != 0 || strings.Join(got.AllowedExtensions, ",") != manifest.GeckoID+",dev@example.org" || got.Path != m.bin {
		t.Errorf("Firefox manifest = %+v", got)
	}
	chrome, err := manifest.Parse(mustRead(t, userManifest(m)))
	if err != nil {
		t.Fatal(err)
	}
	if len(chrome.AllowedExtensions) != 0 || len(chrome.AllowedOrigins) != 2 {
		t.Errorf("Chromium manifest = %+v", chrome)
	}
	if rep, err := Uninstall(o); err != nil || actions(rep) == "" {
		t.Fatalf("Uninstall = %v, %v", actions(rep), err)
	}
	if _, err := os.Stat(filepath.Join(m.home, ".mozilla")); !os.IsNotExist(err) {
		t.Errorf("uninstall left ~/.mozilla: %v", err)
	}
}

func TestInstallGeckoEachOS(t *testing.T) {
	tests := []struct {
		os, browser, want string
	}{
		{"linux", "firefox", "home/.mozilla/native-messaging-hosts/com.authbridge.host.json"},
		{"linux", "librewolf", "home/.librewolf/native-messaging-hosts/com.authbridge.host.json"},
		{"darwin", "firefox", "home/Library/Application Support/Mozilla/NativeMessagingHosts/com.authbridge.host.json"},
		{"darwin", "librewolf", "home/Library/Application Support/LibreWolf/NativeMessagingHosts/com.authbridge.host.json"},
	}
	for _, tt := range tests {
		t.Run(tt.os+"/"+tt.browser, func(t *testing.T) {
			m := newMachine(t)
			o := m.opts()
			o.OS, o.Browsers = tt.os, []string{tt.browser}
			rep, err := Install(o)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Results) != 1 || rep.Results[0].Action != Installed {
				t.Fatalf("Install(%s, %s) = %+v", tt.os, tt.browser, rep.Results)
			}
			want := filepath.Join(filepath.Dir(m.home), tt.want)
			if rep.Results[0].Path != want {
				t.Errorf("Install(%s, %s) wrote %s, want %s", tt.os, tt.browser, rep.Results[0].Path, want)
			}
			if g, err := manifest.Parse(mustRead(t, want)); err != nil || !g.AllowsGecko(manifest.GeckoID) {
				t.Errorf("manifest at %s = %+v, %v", want, g, err)
			}
		})
	}
}

func TestInstallWindowsFirefoxHasItsOwnFile(t *testing.T) {
	m := newMachine(t)
	reg := newFakeRegistry()
	o := m.opts()
	o.OS, o.Registry, o.Browsers = "windows", reg, []string{"chrome", "firefox", "librewolf"}
	o.Binary, o.ManifestDir = `C:\Program Files\authbridge\authbridge.exe`, filepath.Dir(m.bin)
	rep, err := Install(o)
	if err != nil {
		t.Fatal(err)
	}
	chromeFile := filepath.Join(o.ManifestDir, "com.authbridge.host.json")
	geckoFile := filepath.Join(o.ManifestDir, "com.authbridge.host.firefox.json")
	for key, want := range map[string]string{
		`Software\Google\Chrome\NativeMessagingHosts\com.authbridge.host`: chromeFile,
		`Software\Mozilla\NativeMessagingHosts\com.authbridge.host`:       geckoFile,
		`Software\LibreWolf\NativeMessagingHosts\com.authbridge.host`:     geckoFile,
	} {
		if v, ok, _ := reg.Default(HKCU, ViewNative, key); !ok || v != want {
			t.Errorf(`HKCU\%s = %q, want %q`, key, v, want)
		}
	}
	if g, err := manifest.Parse(mustRead(t, geckoFile)); err != nil || !g.AllowsGecko(manifest.GeckoID) || len(g.AllowedOrigins) != 0 {
		t.Errorf("Firefox manifest file = %+v, %v", g, err)
	}
	if c, err := manifest.Parse(mustRead(t, chromeFile)); err != nil || !c.Allows(manifest.ExtensionID) || len(c.AllowedExtensions) != 0 {
		t.Errorf("Chromium manifest file = %+v, %v", c, err)
	}
	if rep.FirefoxManifest == nil {
		t.Error("report lacks the Firefox manifest")
	}
	if _, err := Uninstall(o); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{chromeFile, geckoFile} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("uninstall left %s", f)
		}
	}
}
