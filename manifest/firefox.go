package manifest

import "strings"

// Firefox's host manifest differs from Chrome's in one field: it lists the
// extensions allowed to connect by gecko id in allowed_extensions, and has no
// allowed_origins. Firefox starts the host with argv[1] = the manifest's path
// and argv[2] = the calling extension's id. See
// https://developer.mozilla.org/docs/Mozilla/Add-ons/WebExtensions/Native_manifests

// GeckoID is the stable Firefox id of the authbridge extension
// (browser_specific_settings.gecko.id in extension/manifest.json).
const GeckoID = "authbridge@authbridge.dev"

// Family is the kind of browser engine, which decides the manifest's shape.
type Family string

// Families.
const (
	// Chromium browsers read allowed_origins (chrome-extension://<id>/).
	Chromium Family = "chromium"
	// Gecko browsers (Firefox, LibreWolf) read allowed_extensions (gecko ids).
	Gecko Family = "gecko"
)

// FamilyOf returns b's family; the zero value of Browser.Family is Chromium.
func FamilyOf(b Browser) Family {
	if b.Family == "" {
		return Chromium
	}
	return b.Family
}

// NewFirefox returns the authbridge host manifest for Firefox and other Gecko
// browsers: GeckoID and every extra gecko id allowed (duplicates dropped,
// order kept).
func NewFirefox(goos, binary string, extraIDs ...string) (Manifest, error) {
	m := Manifest{Name: HostName, Description: Description, Path: binary, Type: TypeStdio}
	seen := map[string]bool{}
	for _, id := range append([]string{GeckoID}, extraIDs...) {
		if err := ValidateGeckoID(id); err != nil {
			return Manifest{}, err
		}
		if !seen[id] {
			seen[id] = true
			m.AllowedExtensions = append(m.AllowedExtensions, id)
		}
	}
	if !IsAbs(goos, binary) {
		return Manifest{}, &FieldError{Field: "path", Value: binary, Reason: "must be an absolute path"}
	}
	return m, m.Validate(goos)
}

// IsGeckoID reports whether id has the shape of a gecko id (an email-like
// name@domain, or a {GUID}), as opposed to a Chrome extension id.
func IsGeckoID(id string) bool {
	return strings.Contains(id, "@") || strings.HasPrefix(id, "{") && strings.HasSuffix(id, "}")
}

// ValidateGeckoID checks a gecko id: name@domain from letters, digits and
// ".-_+", or a {GUID} of hex digits and dashes; at most 80 characters (the
// limit addons.mozilla.org sets).
func ValidateGeckoID(id string) error {
	bad := &FieldError{Field: "allowed_extensions", Value: id, Reason: "gecko id must be name@domain or {GUID}, at most 80 characters"}
	if id == "" || len(id) > 80 {
		return bad
	}
	if strings.HasPrefix(id, "{") {
		inner := strings.TrimSuffix(strings.TrimPrefix(id, "{"), "}")
		if !strings.HasSuffix(id, "}") || len(inner) != 36 {
			return bad
		}
		for i, c := range inner {
			dash := i == 8 || i == 13 || i == 18 || i == 23
			if dash != (c == '-') || !dash && !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return bad
			}
		}
		return nil
	}
	name, domain, ok := strings.Cut(id, "@")
	if !ok || name == "" || domain == "" || strings.Contains(domain, "@") {
		return bad
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-_+@", c)) {
			return bad
		}
	}
	return nil
}

// AllowsGecko reports whether allowed_extensions contains the gecko id.
func (m Manifest) AllowsGecko(id string) bool {
	for _, e := range m.AllowedExtensions {
		if e == id {
			return true
		}
	}
	return false
}

// ForFamily returns the authbridge manifest for browsers of family f, with
// the extra ids that fit that family (Chrome ids for Chromium, gecko ids for
// Gecko); ids of the other family are left out.
func ForFamily(f Family, goos, binary string, extraIDs ...string) (Manifest, error) {
	var chrome, gecko []string
	for _, id := range extraIDs {
		if IsGeckoID(id) {
			gecko = append(gecko, id)
		} else {
			chrome = append(chrome, id)
		}
	}
	if f == Gecko {
		return NewFirefox(goos, binary, gecko...)
	}
	return New(goos, binary, chrome...)
}

// Where Firefox and LibreWolf look for host manifests.
//
// Sources, checked when these rows were written:
//   - Firefox: https://developer.mozilla.org/docs/Mozilla/Add-ons/WebExtensions/Native_manifests#manifest_location
//     (Linux ~/.mozilla/native-messaging-hosts, also read for profiles Firefox 147+ creates under
//     ~/.config/mozilla; system /usr/lib/mozilla/native-messaging-hosts and
//     /usr/lib64/mozilla/native-messaging-hosts; macOS ~/Library/Application Support/Mozilla/NativeMessagingHosts
//     and /Library/Application Support/Mozilla/NativeMessagingHosts; Windows
//     HKCU/HKLM Software\Mozilla\NativeMessagingHosts\<name>, default value = manifest path).
//     Release, ESR, Developer Edition and Nightly share these locations: one row.
//   - LibreWolf: ~/.librewolf/native-messaging-hosts on Linux (librewolf.net docs, KeePassXC's
//     NativeMessageInstaller), ~/Library/Application Support/LibreWolf/NativeMessagingHosts on
//     macOS, HKCU Software\LibreWolf\NativeMessagingHosts on Windows. It documents no system folder.
//   - Flatpak and Snap Firefox keep ~/.mozilla inside their sandbox folder; like the Chromium
//     sandboxes they cannot start a host outside it without extra setup.

const (
	firefoxKey   = `Software\Mozilla\NativeMessagingHosts`
	librewolfKey = `Software\LibreWolf\NativeMessagingHosts`
	geckoSandbox = "%s: the browser only sees its own folder (%s), so it cannot start a host installed " +
		"outside the sandbox without extra setup (a wrapper through flatpak-spawn --host, or the snap's " +
		"native-messaging portal). authbridge does not register it automatically."
)

func geckoSandboxBox(kind, id, root string) Sandbox {
	base := Path{Base: Home, Rel: root}
	return Sandbox{Kind: kind, ID: id,
		UserDataDir: Path{Home, root + "/.mozilla/firefox"},
		HostsDir:    Path{Home, root + "/.mozilla/native-messaging-hosts"},
		Note:        strings.NewReplacer("%s: ", kind+": ", "(%s)", "(~/"+base.Rel+")").Replace(geckoSandbox)}
}

func geckoBrowsers() []Browser {
	return []Browser{
		{Name: "firefox", DisplayName: "Firefox", Family: Gecko, Platforms: map[string]Platform{
			"linux": {
				UserDataDir:  Path{Home, ".mozilla/firefox"},
				OtherDataDir: []Path{{Config, "mozilla/firefox"}},
				UserHosts:    []Path{{Home, ".mozilla/native-messaging-hosts"}},
				SystemHosts:  []Path{{Root, "usr/lib/mozilla/native-messaging-hosts"}, {Root, "usr/lib64/mozilla/native-messaging-hosts"}},
				Binaries: []Path{{Root, "usr/bin/firefox"}, {Root, "usr/bin/firefox-esr"}, {Root, "usr/lib/firefox/firefox"},
					{Root, "usr/lib/firefox-esr/firefox-esr"}, {Root, "opt/firefox/firefox"}, {Root, "usr/bin/firefox-developer-edition"},
					{Root, "usr/bin/firefox-nightly"}},
				Sandboxes: []Sandbox{
					geckoSandboxBox("flatpak", "org.mozilla.firefox", ".var/app/org.mozilla.firefox"),
					geckoSandboxBox("snap", "firefox", "snap/firefox/common"),
				},
			},
			"darwin": {
				UserDataDir: Path{AppSupport, "Firefox"},
				UserHosts:   []Path{{AppSupport, "Mozilla/NativeMessagingHosts"}},
				SystemHosts: []Path{{Root, "Library/Application Support/Mozilla/NativeMessagingHosts"}},
				Binaries: []Path{{Root, "Applications/Firefox.app"}, {Root, "Applications/Firefox Developer Edition.app"},
					{Root, "Applications/Firefox Nightly.app"}},
			},
			"windows": {UserDataDir: Path{RoamingAppData, `Mozilla\Firefox`}, RegistryKeys: []string{firefoxKey}},
		}},
		{Name: "librewolf", DisplayName: "LibreWolf", Family: Gecko, Platforms: map[string]Platform{
			"linux": {
				UserDataDir: Path{Home, ".librewolf"},
				UserHosts:   []Path{{Home, ".librewolf/native-messaging-hosts"}},
				Binaries:    []Path{{Root, "usr/bin/librewolf"}, {Root, "usr/share/librewolf/librewolf"}},
				Sandboxes: []Sandbox{{Kind: "flatpak", ID: "io.gitlab.librewolf-community",
					UserDataDir: Path{Home, ".var/app/io.gitlab.librewolf-community/.librewolf"},
					HostsDir:    Path{Home, ".var/app/io.gitlab.librewolf-community/.librewolf/native-messaging-hosts"},
					Note:        strings.NewReplacer("%s: ", "flatpak: ", "(%s)", "(~/.var/app/io.gitlab.librewolf-community)").Replace(geckoSandbox)}},
			},
			"darwin": {
				UserDataDir: Path{AppSupport, "librewolf"},
				UserHosts:   []Path{{AppSupport, "LibreWolf/NativeMessagingHosts"}},
				Binaries:    []Path{{Root, "Applications/LibreWolf.app"}},
			},
			"windows": {UserDataDir: Path{RoamingAppData, `librewolf`}, RegistryKeys: []string{librewolfKey}},
		}},
	}
}
