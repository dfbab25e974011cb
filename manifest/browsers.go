package manifest

import (
	"path"
	"strings"
	"sync"
)

// Where each Chromium-based browser looks for host manifests.
//
// Sources, checked when this table was written:
//   - Chrome: https://developer.chrome.com/docs/extensions/develop/concepts/native-messaging#native-messaging-host-location
//     (Linux /etc/opt/chrome/native-messaging-hosts and ~/.config/google-chrome/NativeMessagingHosts,
//     Chromium /etc/chromium/native-messaging-hosts and ~/.config/chromium/NativeMessagingHosts;
//     macOS /Library/Google/Chrome/NativeMessagingHosts, /Library/Application Support/Chromium/NativeMessagingHosts
//     and the NativeMessagingHosts folder of the default user-data-dir; Windows HKCU/HKLM
//     Software\Google\Chrome\NativeMessagingHosts\<name>, default value = manifest path,
//     32-bit registry view searched before the 64-bit one). User-level hosts live in
//     <user-data-dir>/NativeMessagingHosts (Chromium's chrome_paths.cc, DIR_USER_NATIVE_MESSAGING,
//     not compiled on Windows), so every channel reads its own user-data-dir, and --user-data-dir works.
//   - Edge: https://learn.microsoft.com/microsoft-edge/extensions-chromium/developer-guide/native-messaging
//     (Windows Software\Microsoft\Edge\NativeMessagingHosts, HKCU then HKLM, 32-bit view first;
//     macOS /Library/Microsoft/Edge/NativeMessagingHosts and
//     ~/Library/Application Support/Microsoft Edge {Beta,Dev,Canary}/NativeMessagingHosts;
//     Linux /etc/opt/edge/native-messaging-hosts and ~/.config/microsoft-edge/NativeMessagingHosts).
//     Policy NativeMessagingUserLevelHosts: https://learn.microsoft.com/deployedge/microsoft-edge-browser-policies/nativemessaginguserlevelhosts
//   - Brave, Vivaldi: KeePassXC src/browser/NativeMessageInstaller.cpp (user folders on Linux and
//     macOS; Windows uses Chrome's key) and browserpass-native's Makefile (system folders
//     /etc/opt/brave, /etc/opt/vivaldi, /Library/Application Support/{BraveSoftware/Brave-Browser,Vivaldi}).
//     A published trace of Brave and Vivaldi on Linux found both also read /etc/opt/chrome, and their
//     own Windows keys (Software\BraveSoftware\Brave-Browser, Software\Vivaldi) before Chrome's;
//     we write both where sources disagree.
//   - Opera: reads Google Chrome's locations (Chrome's user folder on Linux and macOS, Chrome's key on
//     Windows), per Opera's developer docs and forum; we also write Opera's own folder.
//   - Arc (macOS only): ~/Library/Application Support/Arc/User Data/NativeMessagingHosts.
//   - Flatpak: a Flatpak browser sees only ~/.var/app/<app-id>/; its config lives in
//     ~/.var/app/<app-id>/config/<folder>. Snap Chromium reads ~/snap/chromium/common/chromium.
//     Both sandboxes cannot start a host binary outside the sandbox without extra setup
//     (flathub/org.chromium.Chromium#2, browserpass/browserpass-native#161, zen-browser/desktop#345).

// Base says what a Path is relative to.
type Base int

const (
	// Root is an absolute system path (resolved under Env.Root).
	Root Base = iota
	// Home is the user's home directory.
	Home
	// Config is $XDG_CONFIG_HOME, or ~/.config when unset (Linux).
	Config
	// AppSupport is ~/Library/Application Support (macOS).
	AppSupport
	// LocalAppData is %LOCALAPPDATA%, or ~\AppData\Local when unset (Windows).
	LocalAppData
	// RoamingAppData is %APPDATA%, or ~\AppData\Roaming when unset (Windows).
	RoamingAppData
)

// Path is a location in the table: a base and a slash-separated relative path.
type Path struct {
	Base Base
	Rel  string
}

// Env is what resolving a Path needs: the target OS, the home directory, a
// filesystem root for system paths ("" or "/" for the real one; tests use a
// temporary directory) and an environment lookup (nil means no variables set).
type Env struct {
	OS     string
	Home   string
	Root   string
	Getenv func(string) string
}

func (e Env) getenv(k string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(k)
}

// Join joins path elements with the separator of e.OS (not the running OS).
func (e Env) Join(elem ...string) string {
	p := path.Join(slashes(elem)...)
	if e.OS == "windows" {
		return strings.ReplaceAll(p, "/", `\`)
	}
	return p
}

func slashes(elem []string) []string {
	out := make([]string, 0, len(elem))
	for _, s := range elem {
		if s != "" {
			out = append(out, strings.ReplaceAll(s, `\`, "/"))
		}
	}
	return out
}

// Resolve turns p into an absolute path for e.
func (e Env) Resolve(p Path) string {
	switch p.Base {
	case Home:
		return e.Join(e.Home, p.Rel)
	case Config:
		if v := e.getenv("XDG_CONFIG_HOME"); v != "" && strings.HasPrefix(v, "/") {
			return e.Join(v, p.Rel)
		}
		return e.Join(e.Home, ".config", p.Rel)
	case AppSupport:
		return e.Join(e.Home, "Library/Application Support", p.Rel)
	case LocalAppData:
		if v := e.getenv("LOCALAPPDATA"); v != "" {
			return e.Join(v, p.Rel)
		}
		return e.Join(e.Home, `AppData\Local`, p.Rel)
	case RoamingAppData:
		if v := e.getenv("APPDATA"); v != "" {
			return e.Join(v, p.Rel)
		}
		return e.Join(e.Home, `AppData\Roaming`, p.Rel)
	default:
		if e.Root == "" || e.Root == "/" {
			return e.Join("/", p.Rel)
		}
		return e.Join(e.Root, p.Rel)
	}
}

// BaseDir is the directory a Path's base stands for; removing empty folders
// after an uninstall never goes above it.
func (e Env) BaseDir(p Path) string { return e.Resolve(Path{Base: p.Base}) }

// Sandbox describes a Flatpak or Snap package of a browser.
type Sandbox struct {
	Kind        string // "flatpak" or "snap"
	ID          string // Flatpak application ID or Snap name
	UserDataDir Path   // where the sandboxed browser keeps its profiles
	HostsDir    Path   // where it reads user-level host manifests
	Note        string // what works there and what does not
}

// Platform is what one browser does on one OS.
type Platform struct {
	// UserDataDir is the default user-data-dir: its presence means the
	// browser is installed, and profile discovery starts there.
	UserDataDir Path
	// OtherDataDir are further default profile roots whose presence also
	// means the browser is installed (Firefox 147+ creates new profiles
	// under ~/.config/mozilla).
	OtherDataDir []Path
	// UserHosts are the user-level NativeMessagingHosts folders install
	// writes, in the browser's lookup order (Linux, macOS).
	UserHosts []Path
	// SystemHosts are the system-wide folders (install --system).
	SystemHosts []Path
	// RegistryKeys are the keys (under HKCU for the user, HKLM for the
	// system) whose subkey <host name> has the manifest path as default
	// value, in lookup order (Windows).
	RegistryKeys []string
	// Binaries are executables (or app bundles) whose presence means the
	// browser is installed even before its first start.
	Binaries []Path
	// PolicyDirs hold managed policy JSON files (Linux), where
	// NativeMessagingUserLevelHosts=false turns off user-level hosts.
	PolicyDirs []Path
	// PolicyKey is the Windows registry key (HKLM and HKCU) of the
	// browser's policies.
	PolicyKey string
	// Sandboxes are Flatpak and Snap packages of the browser.
	Sandboxes []Sandbox
}

// Browser is one browser and channel: Chromium-based, or (Family Gecko)
// Firefox-based.
type Browser struct {
	Name        string // the --browser name: chrome, chrome-beta, edge, firefox, ...
	DisplayName string
	// Family decides the manifest's shape; "" is Chromium.
	Family    Family
	Platforms map[string]Platform // by GOOS
}

const (
	flatpakNote = "Flatpak: the browser only sees ~/.var/app/%s and its own runtime, so it cannot start a host " +
		"installed outside the sandbox; it needs a wrapper calling flatpak-spawn --host and " +
		"flatpak override --talk-name=org.freedesktop.Flatpak. authbridge does not register it automatically."
	snapNote = "Snap: Chromium reads ~/snap/chromium/common/chromium/NativeMessagingHosts, but its " +
		"confinement cannot start a host binary outside the snap without extra setup (AppArmor denies it); " +
		"use Chromium from a .deb/.rpm or Google Chrome."
)

const (
	chromeKey   = `Software\Google\Chrome\NativeMessagingHosts`
	chromiumKey = `Software\Chromium\NativeMessagingHosts`
	edgeKey     = `Software\Microsoft\Edge\NativeMessagingHosts`
	braveKey    = `Software\BraveSoftware\Brave-Browser\NativeMessagingHosts`
	vivaldiKey  = `Software\Vivaldi\NativeMessagingHosts`
)

func hosts(p Path) Path { return Path{Base: p.Base, Rel: p.Rel + "/NativeMessagingHosts"} }

func flatpak(id, folder string) Sandbox {
	data := Path{Base: Home, Rel: ".var/app/" + id + "/config/" + folder}
	return Sandbox{Kind: "flatpak", ID: id, UserDataDir: data, HostsDir: hosts(data),
		Note: strings.Replace(flatpakNote, "%s", id, 1)}
}

// linuxChrome is a Google Chrome channel on Linux: every channel has its own
// user folder and shares /etc/opt/chrome.
func linuxChrome(folder, opt, bin string, sb ...Sandbox) Platform {
	data := Path{Base: Config, Rel: folder}
	return Platform{
		UserDataDir: data,
		UserHosts:   []Path{hosts(data)},
		SystemHosts: []Path{{Root, "etc/opt/chrome/native-messaging-hosts"}},
		Binaries:    []Path{{Root, "opt/google/" + opt + "/chrome"}, {Root, "usr/bin/" + bin}},
		PolicyDirs:  []Path{{Root, "etc/opt/chrome/policies/managed"}},
		Sandboxes:   sb,
	}
}

func macChrome(folder, app string) Platform {
	data := Path{Base: AppSupport, Rel: folder}
	return Platform{
		UserDataDir: data,
		UserHosts:   []Path{hosts(data)},
		SystemHosts: []Path{{Root, "Library/Google/Chrome/NativeMessagingHosts"}},
		Binaries:    []Path{{Root, "Applications/" + app + ".app"}},
	}
}

func winPlatform(data Path, policyKey string, keys ...string) Platform {
	return Platform{UserDataDir: data, RegistryKeys: keys, PolicyKey: policyKey}
}

func linuxEdge(folder, opt, bin string, sb ...Sandbox) Platform {
	data := Path{Base: Config, Rel: folder}
	return Platform{
		UserDataDir: data,
		UserHosts:   []Path{hosts(data)},
		SystemHosts: []Path{{Root, "etc/opt/edge/native-messaging-hosts"}},
		Binaries:    []Path{{Root, "opt/microsoft/" + opt + "/msedge"}, {Root, "usr/bin/" + bin}},
		PolicyDirs:  []Path{{Root, "etc/opt/edge/policies/managed"}},
		Sandboxes:   sb,
	}
}

func macEdge(folder string) Platform {
	data := Path{Base: AppSupport, Rel: folder}
	return Platform{
		UserDataDir: data,
		UserHosts:   []Path{hosts(data)},
		SystemHosts: []Path{{Root, "Library/Microsoft/Edge/NativeMessagingHosts"}},
		Binaries:    []Path{{Root, "Applications/" + folder + ".app"}},
	}
}

// browsers is the table, built on first use (not at package init): the
// Chromium rows here, then the Gecko rows (firefox.go).
var browsers = sync.OnceValue(func() []Browser {
	return append(chromiumBrowsers(), geckoBrowsers()...)
})

func chromiumBrowsers() []Browser {
	return []Browser{
		{Name: "chrome", DisplayName: "Google Chrome", Platforms: map[string]Platform{
			"linux":   linuxChrome("google-chrome", "chrome", "google-chrome-stable", flatpak("com.google.Chrome", "google-chrome")),
			"darwin":  macChrome("Google/Chrome", "Google Chrome"),
			"windows": winPlatform(Path{LocalAppData, `Google\Chrome\User Data`}, `Software\Policies\Google\Chrome`, chromeKey),
		}},
		{Name: "chrome-beta", DisplayName: "Google Chrome Beta", Platforms: map[string]Platform{
			"linux":   linuxChrome("google-chrome-beta", "chrome-beta", "google-chrome-beta"),
			"darwin":  macChrome("Google/Chrome Beta", "Google Chrome Beta"),
			"windows": winPlatform(Path{LocalAppData, `Google\Chrome Beta\User Data`}, `Software\Policies\Google\Chrome`, chromeKey),
		}},
		{Name: "chrome-dev", DisplayName: "Google Chrome Dev", Platforms: map[string]Platform{
			"linux":   linuxChrome("google-chrome-unstable", "chrome-unstable", "google-chrome-unstable"),
			"darwin":  macChrome("Google/Chrome Dev", "Google Chrome Dev"),
			"windows": winPlatform(Path{LocalAppData, `Google\Chrome Dev\User Data`}, `Software\Policies\Google\Chrome`, chromeKey),
		}},
		{Name: "chrome-canary", DisplayName: "Google Chrome Canary", Platforms: map[string]Platform{
			"linux":   linuxChrome("google-chrome-canary", "chrome-canary", "google-chrome-canary"),
			"darwin":  macChrome("Google/Chrome Canary", "Google Chrome Canary"),
			"windows": winPlatform(Path{LocalAppData, `Google\Chrome SxS\User Data`}, `Software\Policies\Google\Chrome`, chromeKey),
		}},
		{Name: "chromium", DisplayName: "Chromium", Platforms: map[string]Platform{
			"linux": {
				UserDataDir: Path{Config, "chromium"},
				UserHosts:   []Path{{Config, "chromium/NativeMessagingHosts"}},
				SystemHosts: []Path{{Root, "etc/chromium/native-messaging-hosts"}},
				Binaries:    []Path{{Root, "usr/bin/chromium"}, {Root, "usr/bin/chromium-browser"}, {Root, "usr/lib/chromium/chromium"}},
				PolicyDirs:  []Path{{Root, "etc/chromium/policies/managed"}},
				Sandboxes: []Sandbox{
					flatpak("org.chromium.Chromium", "chromium"),
					{Kind: "snap", ID: "chromium",
						UserDataDir: Path{Home, "snap/chromium/common/chromium"},
						HostsDir:    Path{Home, "snap/chromium/common/chromium/NativeMessagingHosts"},
						Note:        snapNote},
				},
			},
			"darwin": {
				UserDataDir: Path{AppSupport, "Chromium"},
				UserHosts:   []Path{{AppSupport, "Chromium/NativeMessagingHosts"}},
				SystemHosts: []Path{{Root, "Library/Application Support/Chromium/NativeMessagingHosts"}},
				Binaries:    []Path{{Root, "Applications/Chromium.app"}},
			},
			"windows": winPlatform(Path{LocalAppData, `Chromium\User Data`}, `Software\Policies\Chromium`, chromiumKey),
		}},
		{Name: "edge", DisplayName: "Microsoft Edge", Platforms: map[string]Platform{
			"linux":   linuxEdge("microsoft-edge", "msedge", "microsoft-edge-stable", flatpak("com.microsoft.Edge", "microsoft-edge")),
			"darwin":  macEdge("Microsoft Edge"),
			"windows": winPlatform(Path{LocalAppData, `Microsoft\Edge\User Data`}, `Software\Policies\Microsoft\Edge`, edgeKey),
		}},
		{Name: "edge-beta", DisplayName: "Microsoft Edge Beta", Platforms: map[string]Platform{
			"linux":   linuxEdge("microsoft-edge-beta", "msedge-beta", "microsoft-edge-beta"),
			"darwin":  macEdge("Microsoft Edge Beta"),
			"windows": winPlatform(Path{LocalAppData, `Microsoft\Edge Beta\User Data`}, `Software\Policies\Microsoft\Edge`, edgeKey),
		}},
		{Name: "edge-dev", DisplayName: "Microsoft Edge Dev", Platforms: map[string]Platform{
			"linux":   linuxEdge("microsoft-edge-dev", "msedge-dev", "microsoft-edge-dev"),
			"darwin":  macEdge("Microsoft Edge Dev"),
			"windows": winPlatform(Path{LocalAppData, `Microsoft\Edge Dev\User Data`}, `Software\Policies\Microsoft\Edge`, edgeKey),
		}},
		{Name: "brave", DisplayName: "Brave", Platforms: map[string]Platform{
			"linux": {
				UserDataDir: Path{Config, "BraveSoftware/Brave-Browser"},
				UserHosts:   []Path{{Config, "BraveSoftware/Brave-Browser/NativeMessagingHosts"}},
				SystemHosts: []Path{{Root, "etc/opt/brave/native-messaging-hosts"}, {Root, "etc/opt/chrome/native-messaging-hosts"}},
				Binaries:    []Path{{Root, "opt/brave.com/brave/brave"}, {Root, "usr/bin/brave-browser"}},
				PolicyDirs:  []Path{{Root, "etc/brave/policies/managed"}},
				Sandboxes:   []Sandbox{flatpak("com.brave.Browser", "BraveSoftware/Brave-Browser")},
			},
			"darwin": {
				UserDataDir: Path{AppSupport, "BraveSoftware/Brave-Browser"},
				UserHosts:   []Path{{AppSupport, "BraveSoftware/Brave-Browser/NativeMessagingHosts"}},
				SystemHosts: []Path{{Root, "Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts"}},
				Binaries:    []Path{{Root, "Applications/Brave Browser.app"}},
			},
			"windows": winPlatform(Path{LocalAppData, `BraveSoftware\Brave-Browser\User Data`}, `Software\Policies\BraveSoftware\Brave`, braveKey, chromeKey),
		}},
		{Name: "vivaldi", DisplayName: "Vivaldi", Platforms: map[string]Platform{
			"linux": {
				UserDataDir: Path{Config, "vivaldi"},
				UserHosts:   []Path{{Config, "vivaldi/NativeMessagingHosts"}},
				SystemHosts: []Path{{Root, "etc/opt/vivaldi/native-messaging-hosts"}, {Root, "etc/opt/chrome/native-messaging-hosts"}},
				Binaries:    []Path{{Root, "opt/vivaldi/vivaldi"}, {Root, "usr/bin/vivaldi-stable"}},
				Sandboxes:   []Sandbox{flatpak("com.vivaldi.Vivaldi", "vivaldi")},
			},
			"darwin": {
				UserDataDir: Path{AppSupport, "Vivaldi"},
				UserHosts:   []Path{{AppSupport, "Vivaldi/NativeMessagingHosts"}},
				SystemHosts: []Path{{Root, "Library/Application Support/Vivaldi/NativeMessagingHosts"}},
				Binaries:    []Path{{Root, "Applications/Vivaldi.app"}},
			},
			"windows": winPlatform(Path{LocalAppData, `Vivaldi\User Data`}, "", vivaldiKey, chromeKey),
		}},
		{Name: "opera", DisplayName: "Opera", Platforms: map[string]Platform{
			"linux": {
				UserDataDir: Path{Config, "opera"},
				UserHosts:   []Path{{Config, "google-chrome/NativeMessagingHosts"}, {Config, "opera/NativeMessagingHosts"}},
				SystemHosts: []Path{{Root, "etc/opt/chrome/native-messaging-hosts"}},
				Binaries:    []Path{{Root, "usr/bin/opera"}, {Root, "usr/lib/x86_64-linux-gnu/opera/opera"}},
			},
			"darwin": {
				UserDataDir: Path{AppSupport, "com.operasoftware.Opera"},
				UserHosts:   []Path{{AppSupport, "Google/Chrome/NativeMessagingHosts"}, {AppSupport, "com.operasoftware.Opera/NativeMessagingHosts"}},
				SystemHosts: []Path{{Root, "Library/Google/Chrome/NativeMessagingHosts"}},
				Binaries:    []Path{{Root, "Applications/Opera.app"}},
			},
			"windows": winPlatform(Path{RoamingAppData, `Opera Software\Opera Stable`}, "", chromeKey),
		}},
		{Name: "arc", DisplayName: "Arc", Platforms: map[string]Platform{
			"darwin": {
				UserDataDir: Path{AppSupport, "Arc/User Data"},
				UserHosts:   []Path{{AppSupport, "Arc/User Data/NativeMessagingHosts"}},
				Binaries:    []Path{{Root, "Applications/Arc.app"}},
			},
		}},
	}
}

// Browsers returns the table, in a fixed order (the order of install's report).
func Browsers() []Browser {
	out := make([]Browser, len(browsers()))
	copy(out, browsers())
	return out
}

// Lookup returns the browser with the given --browser name.
func Lookup(name string) (Browser, bool) {
	for _, b := range browsers() {
		if b.Name == name {
			return b, true
		}
	}
	return Browser{}, false
}

// Names returns every --browser name.
func Names() []string {
	all := browsers()
	out := make([]string, len(all))
	for i, b := range all {
		out[i] = b.Name
	}
	return out
}

// Scope is user-level or system-wide.
type Scope string

// Scopes.
const (
	User   Scope = "user"
	System Scope = "system"
)

// Location is one place where a browser reads a host manifest (a folder on
// Linux and macOS, a registry key on Windows), resolved for one Env.
type Location struct {
	Browser string `json:"browser"`
	Scope   Scope  `json:"scope"`
	Variant string `json:"variant"` // "native", "flatpak" or "snap"
	// Dir is the folder holding <name>.json (Linux, macOS).
	Dir string `json:"dir,omitempty"`
	// Key is the registry key of the host, including the host name, under
	// HKCU (user) or HKLM (system) (Windows).
	Key string `json:"key,omitempty"`
	// Base is the folder that pruning empty folders after uninstall stops at.
	Base string `json:"-"`
}

// Locations lists every location of browser b on env.OS, user ones first then
// system ones (the lookup order), each in the browser's order; sandboxed
// variants come last. The host name is the name of the manifest file or key.
func Locations(env Env, b Browser, name string) []Location {
	p, ok := b.Platforms[env.OS]
	if !ok {
		return nil
	}
	var out []Location
	for _, k := range p.RegistryKeys {
		out = append(out, Location{Browser: b.Name, Scope: User, Variant: "native", Key: k + `\` + name})
	}
	for _, k := range p.RegistryKeys {
		out = append(out, Location{Browser: b.Name, Scope: System, Variant: "native", Key: k + `\` + name})
	}
	for _, d := range p.UserHosts {
		out = append(out, Location{Browser: b.Name, Scope: User, Variant: "native", Dir: env.Resolve(d), Base: env.Home})
	}
	for _, d := range p.SystemHosts {
		out = append(out, Location{Browser: b.Name, Scope: System, Variant: "native", Dir: env.Resolve(d), Base: env.BaseDir(d)})
	}
	for _, s := range p.Sandboxes {
		out = append(out, Location{Browser: b.Name, Scope: User, Variant: s.Kind, Dir: env.Resolve(s.HostsDir), Base: env.Home})
	}
	return out
}
