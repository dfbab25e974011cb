package install

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/authbridge/authbridge/manifest"
)

// Status is how a doctor finding counts.
type Status string

// Statuses.
const (
	OK      Status = "ok"      // checked and fine
	Problem Status = "problem" // the bridge will not work until fixed
	Warning Status = "warning" // may not work, or works only in part
	Info    Status = "info"    // worth knowing; nothing to fix
)

// Finding is one line of doctor output: what is wrong (or fine) and the one
// command or action that fixes it.
type Finding struct {
	Check   string `json:"check"` // manifest, path, executable, same-binary, origins, shadow, policy, sandbox, agent, extension, profile
	Status  Status `json:"status"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
	Path    string `json:"path,omitempty"`
}

// BrowserDiagnosis is what doctor found for one browser.
type BrowserDiagnosis struct {
	Browser     string `json:"browser"`
	DisplayName string `json:"display_name"`
	Installed   bool   `json:"installed"`
	// Manifest is the manifest the browser uses (the one that wins).
	Manifest string `json:"manifest,omitempty"`
	// RegistryKey is the key that points at it (Windows).
	RegistryKey string    `json:"registry_key,omitempty"`
	Findings    []Finding `json:"findings"`
}

// DoctorReport is the result of Doctor; the CLI prints it or marshals it for --json.
type DoctorReport struct {
	OK       bool               `json:"ok"`
	Browsers []BrowserDiagnosis `json:"browsers"`
	// Findings are the checks not tied to one browser (agent, extension, profile).
	Findings []Finding `json:"findings"`
}

// Problems returns every finding with status Problem, browser ones first.
func (r DoctorReport) Problems() []Finding {
	var out []Finding
	for _, b := range r.Browsers {
		for _, f := range b.Findings {
			if f.Status == Problem {
				out = append(out, f)
			}
		}
	}
	for _, f := range r.Findings {
		if f.Status == Problem {
			out = append(out, f)
		}
	}
	return out
}

// Hooks are the checks that need the running agent; the CLI fills them from
// the local API. A nil hook is not checked.
type Hooks struct {
	// Agent returns nil when the agent answers.
	Agent func() error
	// ExtensionLastSeen returns when the extension last connected (zero: never).
	ExtensionLastSeen func() (time.Time, error)
	// BoundProfile returns the browser profile the agent is bound to ("" if none).
	BoundProfile func() (string, error)
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Recent is how old a last connection may be before doctor warns (0: 24h).
	Recent time.Duration
}

// Doctor checks, for each browser opts selects (named, or else installed,
// natively or as a Flatpak or Snap): which manifest the browser will use and
// whether it works (absolute path, executable, the same binary as
// opts.Binary, origins include the extension), manifests it shadows, managed
// policies that turn user-level hosts off, and Flatpak/Snap installs; then
// the agent hooks. It never changes anything.
func Doctor(opts Options, hooks Hooks) DoctorReport {
	var rep DoctorReport
	o, err := opts.normalize()
	if err != nil {
		rep.Findings = append(rep.Findings, Finding{Check: "options", Status: Problem, Message: err.Error(), Fix: "authbridge doctor --help"})
		return rep
	}
	env := o.env()
	named := map[string]bool{}
	for _, n := range o.Browsers {
		named[n] = true
	}
	if o.UserDataDir != "" && o.OS != "windows" {
		d := BrowserDiagnosis{Browser: "user-data-dir", DisplayName: o.UserDataDir, Installed: isDir(o.UserDataDir)}
		fix := "authbridge install --user-data-dir " + shellQuote(o.UserDataDir)
		file := filepath.Join(o.UserDataDir, "NativeMessagingHosts", manifest.FileName(manifest.HostName))
		if _, err := os.Stat(file); err != nil {
			d.Findings = append(d.Findings, Finding{Check: "manifest", Status: Problem, Path: file,
				Message: "no " + manifest.HostName + " manifest in " + filepath.Dir(file), Fix: fix})
		} else {
			d.Manifest = file
			d.Findings = append(d.Findings, o.checkManifest(file, fix, manifest.Chromium)...)
		}
		rep.Browsers = append(rep.Browsers, d)
	}
	for _, b := range manifest.Browsers() {
		p, ok := b.Platforms[o.OS]
		if !ok || len(named) > 0 && !named[b.Name] || len(named) == 0 && o.UserDataDir != "" {
			continue
		}
		d := o.diagnose(env, b, p)
		if len(named) == 0 && !d.Installed {
			// Not installed natively: only a Flatpak or Snap install is worth a line.
			if sb := sandboxOnly(d.Findings); len(sb) > 0 {
				rep.Browsers = append(rep.Browsers, BrowserDiagnosis{Browser: d.Browser, DisplayName: d.DisplayName, Findings: sb})
			}
			continue
		}
		rep.Browsers = append(rep.Browsers, d)
	}
	if len(rep.Browsers) == 0 {
		rep.Findings = append(rep.Findings, Finding{Check: "browser", Status: Problem,
			Message: "no supported browser found for " + o.Home,
			Fix:     "authbridge install --browser NAME (one of " + strings.Join(manifest.Names(), ", ") + ")"})
	}
	rep.Findings = append(rep.Findings, hooks.run()...)
	rep.OK = len(rep.Problems()) == 0
	return rep
}

func sandboxOnly(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Check == "sandbox" {
			out = append(out, f)
		}
	}
	return out
}

func (h Hooks) run() []Finding {
	var out []Finding
	if h.Agent != nil {
		if err := h.Agent(); err != nil {
			fix := "authbridge serve"
			var f interface{ Fix() string }
			if errors.As(err, &f) {
				fix = f.Fix()
			}
			out = append(out, Finding{Check: "agent", Status: Problem, Message: "the authbridge agent does not answer: " + err.Error(), Fix: fix})
		} else {
			out = append(out, Finding{Check: "agent", Status: OK, Message: "the agent answers"})
		}
	}
	if h.ExtensionLastSeen != nil {
		now := time.Now
		if h.Now != nil {
			now = h.Now
		}
		recent := h.Recent
		if recent == 0 {
			recent = 24 * time.Hour
		}
		const open = "open the browser with the authbridge extension enabled (chrome://extensions)"
		switch last, err := h.ExtensionLastSeen(); {
		case err != nil:
			out = append(out, Finding{Check: "extension", Status: Warning, Message: "cannot tell when the extension last connected: " + err.Error(), Fix: "authbridge serve"})
		case last.IsZero():
			out = append(out, Finding{Check: "extension", Status: Problem, Message: "the extension has never connected to the host", Fix: open})
		case now().Sub(last) > recent:
			out = append(out, Finding{Check: "extension", Status: Warning,
				Message: fmt.Sprintf("the extension last connected %s ago", now().Sub(last).Round(time.Minute)), Fix: open})
		default:
			out = append(out, Finding{Check: "extension", Status: OK, Message: "the extension connected " + last.Format(time.RFC3339)})
		}
	}
	if h.BoundProfile != nil {
		switch prof, err := h.BoundProfile(); {
		case err != nil:
			out = append(out, Finding{Check: "profile", Status: Warning, Message: "cannot read the bound profile: " + err.Error(), Fix: "authbridge serve"})
		case prof == "":
			out = append(out, Finding{Check: "profile", Status: Info, Message: "no browser profile is bound yet; the most recently active one is used"})
		default:
			out = append(out, Finding{Check: "profile", Status: OK, Message: "bound profile: " + prof})
		}
	}
	return out
}

// candidate is one place a browser looks, in its lookup order.
type candidate struct {
	scope manifest.Scope
	file  string // manifest file (the registry value on Windows)
	key   string // full registry key (Windows)
}

func (o Options) installCmd(browser string, system bool) string {
	cmd := "authbridge install --browser " + browser
	if system {
		cmd += " --system"
		if o.OS != "windows" {
			cmd = "sudo " + cmd
		}
	}
	for _, id := range o.ExtensionIDs {
		cmd += " --extension-id " + id
	}
	return cmd
}

func (o Options) diagnose(env manifest.Env, b manifest.Browser, p manifest.Platform) BrowserDiagnosis {
	d := BrowserDiagnosis{Browser: b.Name, DisplayName: b.DisplayName, Installed: installed(env, p)}

	userOff, policyFindings := o.policies(env, b, p)
	d.Findings = append(d.Findings, policyFindings...)

	var cands []candidate
	var ignored []candidate
	if o.OS == "windows" {
		for _, root := range []RegRoot{HKCU, HKLM} {
			for _, view := range []RegView{View32, View64} {
				for _, k := range p.RegistryKeys {
					key := k + `\` + manifest.HostName
					v, ok, err := o.Registry.Default(root, view, key)
					if err != nil || !ok {
						continue
					}
					c := candidate{scope: manifest.User, file: v, key: fmt.Sprintf(`%s\%s (%s view)`, root, key, view)}
					if root == HKLM {
						c.scope = manifest.System
					}
					if root == HKCU && userOff {
						ignored = append(ignored, c)
						continue
					}
					cands = append(cands, c)
				}
			}
		}
	} else {
		seen := map[string]bool{}
		for _, l := range manifest.Locations(env, b, manifest.HostName) {
			if l.Variant != "native" {
				continue
			}
			file := filepath.Join(l.Dir, manifest.FileName(manifest.HostName))
			if seen[file] {
				continue
			}
			seen[file] = true
			if _, err := os.Stat(file); err != nil {
				continue
			}
			c := candidate{scope: l.Scope, file: file}
			if l.Scope == manifest.User && userOff {
				ignored = append(ignored, c)
				continue
			}
			cands = append(cands, c)
		}
	}

	for _, c := range ignored {
		d.Findings = append(d.Findings, Finding{Check: "policy", Status: Info, Path: c.file,
			Message: fmt.Sprintf("%s is ignored: policy turns user-level hosts off", where(c))})
	}

	fix := o.installCmd(b.Name, userOff || o.System)
	family := manifest.FamilyOf(b)
	if len(cands) == 0 {
		msg := fmt.Sprintf("%s has no %s manifest", b.DisplayName, manifest.HostName)
		if o.OS == "windows" {
			msg += " (no registry key " + strings.Join(p.RegistryKeys, " or ") + `\` + manifest.HostName + ")"
		} else if len(p.UserHosts) > 0 {
			msg += " in " + env.Resolve(p.UserHosts[0])
		}
		d.Findings = append(d.Findings, Finding{Check: "manifest", Status: Problem, Message: msg, Fix: fix})
	} else {
		win := cands[0]
		d.Manifest, d.RegistryKey = win.file, win.key
		own := o.checkManifest(win.file, fix, family)
		d.Findings = append(d.Findings, own...)
		winOK := !hasProblem(own)
		winData, _ := os.ReadFile(win.file)
		for _, c := range cands[1:] {
			if c.file == win.file {
				continue
			}
			data, _ := os.ReadFile(c.file)
			if string(data) == string(winData) {
				d.Findings = append(d.Findings, Finding{Check: "shadow", Status: Info, Path: c.file,
					Message: fmt.Sprintf("%s is an identical copy, shadowed by %s", where(c), where(win))})
				continue
			}
			if winOK {
				d.Findings = append(d.Findings, Finding{Check: "shadow", Status: Info, Path: c.file,
					Message: fmt.Sprintf("%s differs but is ignored: %s wins", where(c), where(win))})
				continue
			}
			if !hasProblem(o.checkManifest(c.file, fix, family)) {
				d.Findings = append(d.Findings, Finding{Check: "shadow", Status: Problem, Path: win.file,
					Message: fmt.Sprintf("%s shadows the working %s (%s is read first)", where(win), where(c), win.scope), Fix: fix})
			}
		}
	}

	for _, s := range p.Sandboxes {
		if dir := env.Resolve(s.UserDataDir); isDir(dir) {
			d.Findings = append(d.Findings, Finding{Check: "sandbox", Status: Warning, Path: dir,
				Message: fmt.Sprintf("%s is also installed as a %s (%s). %s", b.DisplayName, s.Kind, s.ID, s.Note),
				Fix:     fmt.Sprintf("use a non-%s %s, then %s", s.Kind, b.DisplayName, o.installCmd(b.Name, false))})
		}
	}
	return d
}

func where(c candidate) string {
	if c.key != "" {
		return c.key + " -> " + c.file
	}
	return c.file
}

func hasProblem(fs []Finding) bool {
	for _, f := range fs {
		if f.Status == Problem {
			return true
		}
	}
	return false
}

// checkManifest checks the manifest file a browser of family f uses; fix is
// the command that rewrites it.
func (o Options) checkManifest(file, fix string, f manifest.Family) []Finding {
	bad := func(check, msg, fix string) []Finding {
		return []Finding{{Check: check, Status: Problem, Path: file, Message: msg, Fix: fix}}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return bad("manifest", fmt.Sprintf("cannot read manifest %s: %v", file, err), fix)
	}
	m, err := manifest.Parse(data)
	if err != nil {
		return bad("manifest", fmt.Sprintf("manifest %s is not valid JSON: %v", file, err), fix)
	}
	if m.Name != manifest.HostName {
		return bad("manifest", fmt.Sprintf("manifest %s has name %q, want %q", file, m.Name, manifest.HostName), fix)
	}
	if m.Type != manifest.TypeStdio {
		return bad("manifest", fmt.Sprintf("manifest %s has type %q, want \"stdio\"", file, m.Type), fix)
	}
	bin := m.Path
	if !manifest.IsAbs(o.OS, bin) {
		if o.OS != "windows" {
			return bad("path", fmt.Sprintf("manifest %s: path %q is not absolute, so the browser cannot start it", file, m.Path), fix)
		}
		bin = filepath.Join(filepath.Dir(file), bin) // Windows: relative to the manifest
	}
	var out []Finding
	fi, err := os.Stat(bin)
	switch {
	case err != nil:
		return bad("path", fmt.Sprintf("host binary %s named in %s does not exist (moved or deleted?)", bin, file), fix)
	case fi.IsDir():
		return bad("executable", fmt.Sprintf("host binary %s named in %s is a directory", bin, file), fix)
	case o.OS != "windows" && fi.Mode().Perm()&0o111 == 0:
		return bad("executable", fmt.Sprintf("host binary %s is not executable", bin), "chmod +x "+shellQuote(bin))
	}
	if o.Binary != "" && !sameFile(bin, o.Binary) {
		out = append(out, Finding{Check: "same-binary", Status: Problem, Path: file,
			Message: fmt.Sprintf("manifest %s starts %s, not this authbridge (%s)", file, bin, o.Binary), Fix: fix})
	}
	if f == manifest.Gecko {
		out = append(out, o.checkGeckoIDs(file, fix, m)...)
	} else {
		for _, id := range append([]string{manifest.ExtensionID}, o.ExtensionIDs...) {
			if manifest.IsGeckoID(id) {
				continue
			}
			if !m.Allows(id) {
				out = append(out, Finding{Check: "origins", Status: Problem, Path: file,
					Message: fmt.Sprintf("allowed_origins of %s lacks chrome-extension://%s/", file, id), Fix: fix})
			}
		}
	}
	if len(out) == 0 {
		out = append(out, Finding{Check: "manifest", Status: OK, Path: file,
			Message: fmt.Sprintf("%s registers %s for the extension", file, bin)})
	}
	return out
}

// sameFile compares two paths after resolving symbolic links.
func sameFile(a, b string) bool {
	ra, err := filepath.EvalSymlinks(a)
	if err != nil {
		return false
	}
	rb, err := filepath.EvalSymlinks(b)
	if err != nil {
		return false
	}
	fa, err := os.Stat(ra)
	if err != nil {
		return false
	}
	fb, err := os.Stat(rb)
	if err != nil {
		return false
	}
	return os.SameFile(fa, fb)
}

// policies reads the managed policies that matter to native messaging:
// NativeMessagingUserLevelHosts (false: user-level hosts are ignored) and
// NativeMessagingBlocklist / NativeMessagingAllowlist. Linux reads the JSON
// files in the browser's policies/managed folders, Windows the policy key
// under HKLM and HKCU. macOS policies are configuration profiles, not read here.
func (o Options) policies(env manifest.Env, b manifest.Browser, p manifest.Platform) (userOff bool, out []Finding) {
	sysFix := o.installCmd(b.Name, true)
	if o.OS == "windows" {
		if p.PolicyKey == "" {
			return false, nil
		}
		for _, root := range []RegRoot{HKLM, HKCU} {
			if v, ok, err := o.Registry.Integer(root, p.PolicyKey, "NativeMessagingUserLevelHosts"); err == nil && ok && v == 0 {
				userOff = true
				out = append(out, Finding{Check: "policy", Status: Warning,
					Message: fmt.Sprintf(`policy %s\%s NativeMessagingUserLevelHosts=0: %s ignores user-level hosts (HKCU)`, root, p.PolicyKey, b.DisplayName),
					Fix:     sysFix})
			}
		}
		return userOff, out
	}
	for _, dir := range p.PolicyDirs {
		files, _ := filepath.Glob(filepath.Join(env.Resolve(dir), "*.json"))
		sort.Strings(files)
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			var pol struct {
				UserLevel *bool    `json:"NativeMessagingUserLevelHosts"`
				Block     []string `json:"NativeMessagingBlocklist"`
				Allow     []string `json:"NativeMessagingAllowlist"`
			}
			if json.Unmarshal(data, &pol) != nil {
				continue
			}
			if pol.UserLevel != nil && !*pol.UserLevel {
				userOff = true
				out = append(out, Finding{Check: "policy", Status: Warning, Path: f,
					Message: fmt.Sprintf("policy NativeMessagingUserLevelHosts=false in %s: %s ignores user-level hosts", f, b.DisplayName),
					Fix:     sysFix})
			}
			if (contains(pol.Block, "*") || contains(pol.Block, manifest.HostName)) && !contains(pol.Allow, manifest.HostName) {
				out = append(out, Finding{Check: "policy", Status: Problem, Path: f,
					Message: fmt.Sprintf("policy NativeMessagingBlocklist in %s blocks %s", f, manifest.HostName),
					Fix:     fmt.Sprintf("ask your administrator to add %s to NativeMessagingAllowlist", manifest.HostName)})
			}
		}
	}
	return userOff, out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// checkGeckoIDs checks a Firefox manifest: it must list the extension's gecko
// id (and every extra gecko id) in allowed_extensions; a Chromium-shaped
// manifest (allowed_origins only) in a Firefox folder does not work there.
func (o Options) checkGeckoIDs(file, fix string, m manifest.Manifest) []Finding {
	if len(m.AllowedExtensions) == 0 {
		return []Finding{{Check: "origins", Status: Problem, Path: file,
			Message: fmt.Sprintf("%s has no allowed_extensions, so Firefox refuses every extension (it is a Chromium manifest?)", file), Fix: fix}}
	}
	var out []Finding
	for _, id := range append([]string{manifest.GeckoID}, o.ExtensionIDs...) {
		if id != manifest.GeckoID && !manifest.IsGeckoID(id) {
			continue
		}
		if !m.AllowsGecko(id) {
			out = append(out, Finding{Check: "origins", Status: Problem, Path: file,
				Message: fmt.Sprintf("allowed_extensions of %s lacks %s", file, id), Fix: fix})
		}
	}
	return out
}
