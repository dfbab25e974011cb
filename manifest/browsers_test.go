package manifest

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// wantLocations is every location of every browser on every OS, for a home of
// /home/u (Linux), /Users/u (macOS) or C:\Users\u (Windows), with no
// environment variables set and the real filesystem root. Each line is
// "browser scope variant where".
var wantLocations = map[string][]string{
	"linux": {
		"chrome user native /home/u/.config/google-chrome/NativeMessagingHosts",
		"chrome system native /etc/opt/chrome/native-messaging-hosts",
		"chrome user flatpak /home/u/.var/app/com.google.Chrome/config/google-chrome/NativeMessagingHosts",
		"chrome-beta user native /home/u/.config/google-chrome-beta/NativeMessagingHosts",
		"chrome-beta system native /etc/opt/chrome/native-messaging-hosts",
		"chrome-dev user native /home/u/.config/google-chrome-unstable/NativeMessagingHosts",
		"chrome-dev system native /etc/opt/chrome/native-messaging-hosts",
		"chrome-canary user native /home/u/.config/google-chrome-canary/NativeMessagingHosts",
		"chrome-canary system native /etc/opt/chrome/native-messaging-hosts",
		"chromium user native /home/u/.config/chromium/NativeMessagingHosts",
		"chromium system native /etc/chromium/native-messaging-hosts",
		"chromium user flatpak /home/u/.var/app/org.chromium.Chromium/config/chromium/NativeMessagingHosts",
		"chromium user snap /home/u/snap/chromium/common/chromium/NativeMessagingHosts",
		"edge user native /home/u/.config/microsoft-edge/NativeMessagingHosts",
		"edge system native /etc/opt/edge/native-messaging-hosts",
		"edge user flatpak /home/u/.var/app/com.microsoft.Edge/config/microsoft-edge/NativeMessagingHosts",
		"edge-beta user native /home/u/.config/microsoft-edge-beta/NativeMessagingHosts",
		"edge-beta system native /etc/opt/edge/native-messaging-hosts",
		"edge-dev user native /home/u/.config/microsoft-edge-dev/NativeMessagingHosts",
		"edge-dev system native /etc/opt/edge/native-messaging-hosts",
		"brave user native /home/u/.config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
		"brave system native /etc/opt/brave/native-messaging-hosts",
		"brave system native /etc/opt/chrome/native-messaging-hosts",
		"brave user flatpak /home/u/.var/app/com.brave.Browser/config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
		"vivaldi user native /home/u/.config/vivaldi/NativeMessagingHosts",
		"vivaldi system native /etc/opt/vivaldi/native-messaging-hosts",
		"vivaldi system native /etc/opt/chrome/native-messaging-hosts",
		"vivaldi user flatpak /home/u/.var/app/com.vivaldi.Vivaldi/config/vivaldi/NativeMessagingHosts",
		"opera user native /home/u/.config/google-chrome/NativeMessagingHosts",
		"opera user native /home/u/.config/opera/NativeMessagingHosts",
		"opera system native /etc/opt/chrome/native-messaging-hosts",
		"firefox user native /home/u/.mozilla/native-messaging-hosts",
		"firefox system native /usr/lib/mozilla/native-messaging-hosts",
		"firefox system native /usr/lib64/mozilla/native-messaging-hosts",
		"firefox user flatpak /home/u/.var/app/org.mozilla.firefox/.mozilla/native-messaging-hosts",
		"firefox user snap /home/u/snap/firefox/common/.mozilla/native-messaging-hosts",
		"librewolf user native /home/u/.librewolf/native-messaging-hosts",
		"librewolf user flatpak /home/u/.var/app/io.gitlab.librewolf-community/.librewolf/native-messaging-hosts",
	},
	"darwin": {
		"chrome user native /Users/u/Library/Application Support/Google/Chrome/NativeMessagingHosts",
		"chrome system native /Library/Google/Chrome/NativeMessagingHosts",
		"chrome-beta user native /Users/u/Library/Application Support/Google/Chrome Beta/NativeMessagingHosts",
		"chrome-beta system native /Library/Google/Chrome/NativeMessagingHosts",
		"chrome-dev user native /Users/u/Library/Application Support/Google/Chrome Dev/NativeMessagingHosts",
		"chrome-dev system native /Library/Google/Chrome/NativeMessagingHosts",
		"chrome-canary user native /Users/u/Library/Application Support/Google/Chrome Canary/NativeMessagingHosts",
		"chrome-canary system native /Library/Google/Chrome/NativeMessagingHosts",
		"chromium user native /Users/u/Library/Application Support/Chromium/NativeMessagingHosts",
		"chromium system native /Library/Application Support/Chromium/NativeMessagingHosts",
		"edge user native /Users/u/Library/Application Support/Microsoft Edge/NativeMessagingHosts",
		"edge system native /Library/Microsoft/Edge/NativeMessagingHosts",
		"edge-beta user native /Users/u/Library/Application Support/Microsoft Edge Beta/NativeMessagingHosts",
		"edge-beta system native /Library/Microsoft/Edge/NativeMessagingHosts",
		"edge-dev user native /Users/u/Library/Application Support/Microsoft Edge Dev/NativeMessagingHosts",
		"edge-dev system native /Library/Microsoft/Edge/NativeMessagingHosts",
		"brave user native /Users/u/Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts",
		"brave system native /Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts",
		"vivaldi user native /Users/u/Library/Application Support/Vivaldi/NativeMessagingHosts",
		"vivaldi system native /Library/Application Support/Vivaldi/NativeMessagingHosts",
		"opera user native /Users/u/Library/Application Support/Google/Chrome/NativeMessagingHosts",
		"opera user native /Users/u/Library/Application Support/com.operasoftware.Opera/NativeMessagingHosts",
		"opera system native /Library/Google/Chrome/NativeMessagingHosts",
		"arc user native /Users/u/Library/Application Support/Arc/User Data/NativeMessagingHosts",
		"firefox user native /Users/u/Library/Application Support/Mozilla/NativeMessagingHosts",
		"firefox system native /Library/Application Support/Mozilla/NativeMessagingHosts",
		"librewolf user native /Users/u/Library/Application Support/LibreWolf/NativeMessagingHosts",
	},
	"windows": {
		`chrome user native HKCU\Software\Google\Chrome\NativeMessagingHosts\com.authbridge.host`,
		`chrome system native HKLM\Software\Google\Chrome\NativeMessagingHosts\com.authbridge.host`,
		`chrome-beta user native HKCU\Software\Google\Chrome\NativeMessagingHosts\com.authbridge.host`,
		`chrome-beta system native HKLM\Software\Google\Chrome\NativeMessagingHosts\com.authbridge.host`,
		`chrome-dev user native HKCU\Software\Google\Chrome\NativeMessagingHosts\com.authbridge.host`,
		`chrome-dev system native HKLM\Software\Google\Chrome\NativeMessagingHosts\com.authbridge.host`,
		`chrome-canary user native HKCU\Software\Google\Chrome\NativeMessagingHosts\com.authbridge.host`,
		`chrome-canary system native HKLM\Software\Google\Chrome\NativeMessagingHosts\com.authbridge.host`,
		`chromium user native HKCU\Software\Chromium\NativeMessagingHosts\com.authbridge.host`,
		`chromium system native HKLM\Software\Chromium\NativeMessagingHosts\com.authbridge.host`,
		`edge user native HKCU\Software\Microsoft\Edge\NativeMessagingHosts\com.authbridge.host`,
		`edge system native HKLM\Software\Microsoft\Edge\NativeMessagingHosts\com.authbridge.host`,
		`edge-beta user native HKCU\Software\Microsoft\Edge\NativeMessagingHosts\com.authbridge.host`,
		`edge-beta system native HKLM\Software\Microsoft\Edge\NativeMessagingHosts\com.authbridge.host`,
		`edge-dev user native HKCU\Software\Microsoft\Edge\NativeMessagingHosts\com.authbridge.host`,
		`edge-dev system native HKLM\Software\Microsoft\Edge\NativeMessagingHosts\com.authbridge.host`,
		`brave user native HKCU\Software\BraveSoftware\Brave-Browser\NativeMessagingHosts\com.authbridge.host`,
		`brave user native HKCU\Software\Google\Chrome\NativeMessagingHosts\com.authbridge.host`,
		`brave system native HKLM\Software\BraveSoftware\Brave-Browser\NativeMessagingHosts\com.authbridge.host`,
		`brave system native HKLM\Software\Google\Chrome\NativeMessagingHosts\com.authbridge.host`,
		`vivaldi user native HKCU\Software\Vivaldi\NativeMessagingHosts\com.authbridge.host`,
		`vivaldi user native HKCU\Software\Google\Chrome\NativeMessagingHosts\com.authbridge.host`,
		`vivaldi system native HKLM\Software\Vivaldi\NativeMessagingHosts\com.authbridge.host`,
		`vivaldi system native HKLM\Software\Google\Chrome\NativeMessagingHosts\com.authbridge.host`,
		`opera user native HKCU\Software\Google\Chrome\NativeMessagingHosts\com.authbridge.host`,
		`opera system native HKLM\Software\Google\Chrome\NativeMessagingHosts\com.authbridge.host`,
		`firefox user native HKCU\Software\Mozilla\NativeMessagingHosts\com.authbridge.host`,
		`firefox system native HKLM\Software\Mozilla\NativeMessagingHosts\com.authbridge.host`,
		`librewolf user native HKCU\Software\LibreWolf\NativeMessagingHosts\com.authbridge.host`,
		`librewolf system native HKLM\Software\LibreWolf\NativeMessagingHosts\com.authbridge.host`,
	},
}

var homes = map[string]string{"linux": "/home/u", "darwin": "/Users/u", "windows": `C:\Users\u`}

func TestLocations(t *testing.T) {
	for goos, want := range wantLocations {
		env := Env{OS: goos, Home: homes[goos]}
		var got []string
		for _, b := range Browsers() {
			for _, l := range Locations(env, b, HostName) {
				where := l.Dir
				if l.Key != "" {
					root := "HKCU"
					if l.Scope == System {
						root = "HKLM"
					}
					where = root + `\` + l.Key
				}
				got = append(got, fmt.Sprintf("%s %s %s %s", l.Browser, l.Scope, l.Variant, where))
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("Locations(%s) =\n%s\nwant\n%s", goos, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// wantDataDirs is each browser's default user-data-dir per OS.
var wantDataDirs = map[string]map[string]string{
	"linux": {
		"chrome":        "/home/u/.config/google-chrome",
		"chrome-beta":   "/home/u/.config/google-chrome-beta",
		"chrome-dev":    "/home/u/.config/google-chrome-unstable",
		"chrome-canary": "/home/u/.config/google-chrome-canary",
		"chromium":      "/home/u/.config/chromium",
		"edge":          "/home/u/.config/microsoft-edge",
		"edge-beta":     "/home/u/.config/microsoft-edge-beta",
		"edge-dev":      "/home/u/.config/microsoft-edge-dev",
		"brave":         "/home/u/.config/BraveSoftware/Brave-Browser",
		"vivaldi":       "/home/u/.config/vivaldi",
		"opera":         "/home/u/.config/opera",
		"firefox":       "/home/u/.mozilla/firefox",
		"librewolf":     "/home/u/.librewolf",
	},
	"darwin": {
		"chrome":        "/Users/u/Library/Application Support/Google/Chrome",
		"chrome-beta":   "/Users/u/Library/Application Support/Google/Chrome Beta",
		"chrome-dev":    "/Users/u/Library/Application Support/Google/Chrome Dev",
		"chrome-canary": "/Users/u/Library/Application Support/Google/Chrome Canary",
		"chromium":      "/Users/u/Library/Application Support/Chromium",
		"edge":          "/Users/u/Library/Application Support/Microsoft Edge",
		"edge-beta":     "/Users/u/Library/Application Support/Microsoft Edge Beta",
		"edge-dev":      "/Users/u/Library/Application Support/Microsoft Edge Dev",
		"brave":         "/Users/u/Library/Application Support/BraveSoftware/Brave-Browser",
		"vivaldi":       "/Users/u/Library/Application Support/Vivaldi",
		"opera":         "/Users/u/Library/Application Support/com.operasoftware.Opera",
		"arc":           "/Users/u/Library/Application Support/Arc/User Data",
		"firefox":       "/Users/u/Library/Application Support/Firefox",
		"librewolf":     "/Users/u/Library/Application Support/librewolf",
	},
	"windows": {
		"chrome":        `C:\Users\u\AppData\Local\Google\Chrome\User Data`,
		"chrome-beta":   `C:\Users\u\AppData\Local\Google\Chrome Beta\User Data`,
		"chrome-dev":    `C:\Users\u\AppData\Local\Google\Chrome Dev\User Data`,
		"chrome-canary": `C:\Users\u\AppData\Local\Google\Chrome SxS\User Data`,
		"chromium":      `C:\Users\u\AppData\Local\Chromium\User Data`,
		"edge":          `C:\Users\u\AppData\Local\Microsoft\Edge\User Data`,
		"edge-beta":     `C:\Users\u\AppData\Local\Microsoft\Edge Beta\User Data`,
		"edge-dev":      `C:\Users\u\AppData\Local\Microsoft\Edge Dev\User Data`,
		"brave":         `C:\Users\u\AppData\Local\BraveSoftware\Brave-Browser\User Data`,
		"vivaldi":       `C:\Users\u\AppData\Local\Vivaldi\User Data`,
		"opera":         `C:\Users\u\AppData\Roaming\Opera Software\Opera Stable`,
		"firefox":       `C:\Users\u\AppData\Roaming\Mozilla\Firefox`,
		"librewolf":     `C:\Users\u\AppData\Roaming\librewolf`,
	},
}

func TestUserDataDirs(t *testing.T) {
	for goos, want := range wantDataDirs {
		env := Env{OS: goos, Home: homes[goos]}
		got := map[string]string{}
		for _, b := range Browsers() {
			if p, ok := b.Platforms[goos]; ok {
				got[b.Name] = env.Resolve(p.UserDataDir)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d browsers, want %d", goos, len(got), len(want))
		}
		for name, w := range want {
			if got[name] != w {
				t.Errorf("user-data-dir(%s, %s) = %q, want %q", goos, name, got[name], w)
			}
		}
	}
}

func TestSandboxes(t *testing.T) {
	env := Env{OS: "linux", Home: "/home/u"}
	got := map[string]string{}
	for _, b := range Browsers() {
		for _, s := range b.Platforms["linux"].Sandboxes {
			got[b.Name+" "+s.Kind] = env.Resolve(s.UserDataDir)
			if s.Note == "" || !strings.Contains(s.Note, "cannot") {
				t.Errorf("%s %s: note %q does not say what does not work", b.Name, s.Kind, s.Note)
			}
		}
	}
	want := map[string]string{
		"chrome flatpak":    "/home/u/.var/app/com.google.Chrome/config/google-chrome",
		"chromium flatpak":  "/home/u/.var/app/org.chromium.Chromium/config/chromium",
		"chromium snap":     "/home/u/snap/chromium/common/chromium",
		"edge flatpak":      "/home/u/.var/app/com.microsoft.Edge/config/microsoft-edge",
		"brave flatpak":     "/home/u/.var/app/com.brave.Browser/config/BraveSoftware/Brave-Browser",
		"vivaldi flatpak":   "/home/u/.var/app/com.vivaldi.Vivaldi/config/vivaldi",
		"firefox flatpak":   "/home/u/.var/app/org.mozilla.firefox/.mozilla/firefox",
		"firefox snap":      "/home/u/snap/firefox/common/.mozilla/firefox",
		"librewolf flatpak": "/home/u/.var/app/io.gitlab.librewolf-community/.librewolf",
	}
	keys := func(m map[string]string) string {
		var k []string
		for s := range m {
			k = append(k, s)
		}
		sort.Strings(k)
		return strings.Join(k, ",")
	}
	if keys(got) != keys(want) {
		t.Errorf("sandboxes = %s, want %s", keys(got), keys(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("sandbox %s data dir = %q, want %q", k, got[k], w)
		}
	}
}

func TestResolveEnvironment(t *testing.T) {
	env := Env{OS: "linux", Home: "/home/u", Root: "/tmp/root", Getenv: func(k string) string {
		return map[string]string{"XDG_CONFIG_HOME": "/xdg"}[k]
	}}
	if got := env.Resolve(Path{Config, "chromium"}); got != "/xdg/chromium" {
		t.Errorf("Resolve(Config) with XDG_CONFIG_HOME = %q", got)
	}
	if got := env.Resolve(Path{Root, "etc/chromium/native-messaging-hosts"}); got != "/tmp/root/etc/chromium/native-messaging-hosts" {
		t.Errorf("Resolve(Root) under a root = %q", got)
	}
	rel := Env{OS: "linux", Home: "/home/u", Getenv: func(string) string { return "relative" }}
	if got := rel.Resolve(Path{Config, "x"}); got != "/home/u/.config/x" {
		t.Errorf("Resolve(Config) with a relative XDG_CONFIG_HOME = %q, want it ignored", got)
	}
	win := Env{OS: "windows", Home: `C:\Users\u`, Getenv: func(k string) string {
		return map[string]string{"LOCALAPPDATA": `D:\Local`, "APPDATA": `D:\Roaming`}[k]
	}}
	if got := win.Resolve(Path{LocalAppData, `Chromium\User Data`}); got != `D:\Local\Chromium\User Data` {
		t.Errorf("Resolve(LocalAppData) = %q", got)
	}
	if got := win.Resolve(Path{RoamingAppData, `Opera Software\Opera Stable`}); got != `D:\Roaming\Opera Software\Opera Stable` {
		t.Errorf("Resolve(RoamingAppData) = %q", got)
	}
}

func TestLookup(t *testing.T) {
	for _, name := range []string{"chrome", "chrome-beta", "chrome-dev", "chrome-canary", "chromium", "edge", "edge-beta", "edge-dev", "brave", "vivaldi", "opera", "arc", "firefox", "librewolf"} {
		if _, ok := Lookup(name); !ok {
			t.Errorf("Lookup(%q) not found", name)
		}
	}
	for _, name := range []string{"firefox-esr", "firefox-nightly", "safari"} {
		if _, ok := Lookup(name); ok {
			t.Errorf("Lookup(%q) found: Firefox's channels share one row", name)
		}
	}
	for name, want := range map[string]Family{"chrome": Chromium, "opera": Chromium, "firefox": Gecko, "librewolf": Gecko} {
		if b, _ := Lookup(name); FamilyOf(b) != want {
			t.Errorf("FamilyOf(%s) = %s, want %s", name, FamilyOf(b), want)
		}
	}
	if b, _ := Lookup("arc"); len(b.Platforms) != 1 || b.Platforms["darwin"].UserDataDir.Rel == "" {
		t.Errorf("arc should be macOS only: %+v", b.Platforms)
	}
}
