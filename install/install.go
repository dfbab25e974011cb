// Package install registers the authbridge native-messaging host with the
// Chromium-based and Firefox-based browsers of a user (or of the whole machine), removes that
// registration again, and diagnoses it (Doctor).
//
// Everything the functions depend on comes in through Options (OS, home,
// filesystem root, environment, registry), so tests run against a fake home
// and the CLI only prints or marshals the returned Report.
//
// Where files go: on Linux and macOS, <folder>/com.authbridge.host.json in
// every NativeMessagingHosts folder the browser reads (manifest.Locations), or
// DIR/NativeMessagingHosts/ with Options.UserDataDir. On Windows, one manifest
// file beside the binary (or in Options.ManifestDir) and, per browser, a
// registry key under HKCU (HKLM with System) whose default value is its path.
// Firefox and LibreWolf get the Firefox shape of the manifest (allowed_extensions
// with gecko ids), in their own folders, or on Windows in a second file
// (com.authbridge.host.firefox.json) that their registry keys point at.
//
// Uninstall removes only what install writes: manifests (or keys) whose host
// name is com.authbridge.host. It then removes the folders left empty, up to
// the home directory (user level) or up to two levels below the filesystem
// root (system level: /etc/opt and /Library/Application Support stay), so a
// NativeMessagingHosts folder install created goes away, while a folder that
// holds anything else stays. A location another installed browser still
// reads (Opera reads Chrome's folder; Brave and Vivaldi also read Chrome's
// key on Windows) is kept when only some browsers are uninstalled.
package install

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/authbridge/authbridge/manifest"
)

// Action is what install or uninstall did (or, with DryRun, would do) at one location.
type Action string

// Actions.
const (
	Installed Action = "installed" // the manifest or key did not exist and was written
	Updated   Action = "updated"   // it existed with other content and was rewritten
	Unchanged Action = "unchanged" // it already held exactly this; nothing was touched
	Removed   Action = "removed"   // uninstall removed it
	NotFound  Action = "not-found" // uninstall found nothing to remove
	Skipped   Action = "skipped"   // deliberately not touched; Note says why
	Failed    Action = "failed"    // an error; Note holds it
)

// Result is what happened at one location for one browser.
type Result struct {
	Browser string         `json:"browser"`
	Variant string         `json:"variant,omitempty"` // "flatpak" or "snap" for sandboxed browsers
	Scope   manifest.Scope `json:"scope"`
	Action  Action         `json:"action"`
	// Path is the manifest file.
	Path string `json:"path,omitempty"`
	// RegistryKey is the full key (Windows), e.g. HKCU\Software\...\com.authbridge.host.
	RegistryKey string `json:"registry_key,omitempty"`
	Note        string `json:"note,omitempty"`
}

// Report is the outcome of Install or Uninstall, in table order.
type Report struct {
	DryRun bool `json:"dry_run"`
	// Manifest is what Install writes for Chromium browsers (nil for Uninstall).
	Manifest *manifest.Manifest `json:"manifest,omitempty"`
	// FirefoxManifest is what Install writes for Firefox and LibreWolf, when
	// it registers with one of them.
	FirefoxManifest *manifest.Manifest `json:"firefox_manifest,omitempty"`
	Results         []Result           `json:"results"`
}

// Changed reports whether anything was (or, in a dry run, would be) written or removed.
func (r Report) Changed() bool {
	for _, res := range r.Results {
		switch res.Action {
		case Installed, Updated, Removed:
			return true
		}
	}
	return false
}

// Errors callers branch on.
var (
	ErrUnknownBrowser = errors.New("unknown browser")
	ErrNoBrowser      = errors.New("no supported browser found")
	ErrNoHome         = errors.New("home directory not set")
	ErrNoBinary       = errors.New("host binary path not set")
)

// Options says what to install or uninstall, and describes the machine.
type Options struct {
	// OS is the target OS ("linux", "darwin", "windows"); "" means runtime.GOOS.
	OS string
	// Home is the user's home directory (required).
	Home string
	// Root prefixes every system path (/etc/..., /Library/..., /opt/...);
	// "" is the real root. Tests use a temporary directory.
	Root string
	// Getenv looks up XDG_CONFIG_HOME, LOCALAPPDATA and APPDATA; nil means unset.
	Getenv func(string) string
	// Binary is the absolute path of the authbridge binary the manifest
	// points at (required by Install; Doctor compares it with the manifest's).
	Binary string
	// Browsers are --browser names; empty means every browser found installed.
	Browsers []string
	// UserDataDir is --user-data-dir: also register in DIR/NativeMessagingHosts
	// (Linux and macOS only; Chrome on Windows reads only the registry).
	UserDataDir string
	// ExtensionIDs are extra allowed extensions, besides manifest.ExtensionID
	// and manifest.GeckoID: Chrome ids go into Chromium manifests, gecko ids
	// (name@domain, {GUID}) into Firefox ones.
	ExtensionIDs []string
	// System selects system-wide locations (/etc, /Library, HKLM) instead of user ones.
	System bool
	// DryRun plans without writing anything.
	DryRun bool
	// ManifestDir is where the Windows manifest file goes; "" is the binary's folder.
	ManifestDir string
	// Registry is the Windows registry; nil is SystemRegistry().
	Registry Registry
}

func (o Options) normalize() (Options, error) {
	if o.OS == "" {
		o.OS = runtime.GOOS
	}
	if o.Home == "" {
		return o, ErrNoHome
	}
	if o.Registry == nil {
		o.Registry = SystemRegistry()
	}
	if o.UserDataDir != "" {
		abs, err := filepath.Abs(o.UserDataDir)
		if err != nil {
			return o, fmt.Errorf("user-data-dir %q: %w", o.UserDataDir, err)
		}
		o.UserDataDir = abs
	}
	for _, name := range o.Browsers {
		if _, ok := manifest.Lookup(name); !ok {
			return o, fmt.Errorf("%w %q (known: %s)", ErrUnknownBrowser, name, strings.Join(manifest.Names(), ", "))
		}
	}
	return o, nil
}

func (o Options) env() manifest.Env {
	return manifest.Env{OS: o.OS, Home: o.Home, Root: o.Root, Getenv: o.Getenv}
}

func (o Options) scope() manifest.Scope {
	if o.System {
		return manifest.System
	}
	return manifest.User
}

func (o Options) regRoot() RegRoot {
	if o.System {
		return HKLM
	}
	return HKCU
}

// manifestFile is the Windows manifest path: beside the binary unless ManifestDir is set.
func (o Options) manifestFile() string {
	dir := o.ManifestDir
	if dir == "" {
		dir = filepath.Dir(o.Binary)
	}
	return filepath.Join(dir, manifest.FileName(manifest.HostName))
}

// manifestFileFor is the Windows manifest path for a browser family: Firefox
// needs its own file (allowed_extensions), beside the Chromium one; Firefox
// reads the path from the registry, so the file name is free.
func (o Options) manifestFileFor(f manifest.Family) string {
	if f == manifest.Gecko {
		return strings.TrimSuffix(o.manifestFile(), ".json") + ".firefox.json"
	}
	return o.manifestFile()
}

func installed(env manifest.Env, p manifest.Platform) bool {
	if entries, err := os.ReadDir(env.Resolve(p.UserDataDir)); err == nil {
		for _, e := range entries {
			// A hosts folder (install's own work) says nothing about the browser.
			if e.Name() != "NativeMessagingHosts" && e.Name() != "native-messaging-hosts" {
				return true
			}
		}
	}
	for _, bin := range p.Binaries {
		if _, err := os.Stat(env.Resolve(bin)); err == nil {
			return true
		}
	}
	for _, d := range p.OtherDataDir {
		if isDir(env.Resolve(d)) {
			return true
		}
	}
	return false
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// target is one location to write or remove.
type target struct {
	browser  string
	family   manifest.Family
	loc      manifest.Location
	named    bool // the user asked for this browser
	detected bool // the browser is installed
	stop     string
	keep     int
}

// plan selects the locations for opts; results holds what is skipped up front.
func (o Options) plan(uninstall bool) ([]target, []Result) {
	env := o.env()
	scope := o.scope()
	var targets []target
	var results []Result

	if o.UserDataDir != "" {
		if o.OS == "windows" {
			results = append(results, Result{Browser: "user-data-dir", Scope: manifest.User, Action: Skipped,
				Path: o.UserDataDir, Note: "on Windows Chrome finds hosts through the registry only; use --browser"})
		} else {
			targets = append(targets, target{
				browser:  "user-data-dir",
				family:   manifest.Chromium,
				loc:      manifest.Location{Browser: "user-data-dir", Scope: manifest.User, Variant: "native", Dir: filepath.Join(o.UserDataDir, "NativeMessagingHosts")},
				named:    true,
				detected: true,
				stop:     filepath.Dir(o.UserDataDir),
			})
		}
	}

	named := map[string]bool{}
	for _, n := range o.Browsers {
		named[n] = true
	}
	for _, b := range manifest.Browsers() {
		if len(named) > 0 && !named[b.Name] || len(named) == 0 && o.UserDataDir != "" {
			continue
		}
		p, ok := b.Platforms[o.OS]
		if !ok {
			if named[b.Name] {
				results = append(results, Result{Browser: b.Name, Scope: scope, Action: Skipped,
					Note: fmt.Sprintf("%s is not available on %s", b.DisplayName, o.OS)})
			}
			continue
		}
		isInstalled := installed(env, p)
		if !uninstall {
			for _, s := range p.Sandboxes {
				if isDir(env.Resolve(s.UserDataDir)) {
					results = append(results, Result{Browser: b.Name, Variant: s.Kind, Scope: manifest.User, Action: Skipped,
						Path: filepath.Join(env.Resolve(s.HostsDir), manifest.FileName(manifest.HostName)), Note: s.Note})
				}
			}
			if !named[b.Name] && !isInstalled {
				continue
			}
		}
		var locs []manifest.Location
		for _, l := range manifest.Locations(env, b, manifest.HostName) {
			if l.Scope == scope && l.Variant == "native" {
				locs = append(locs, l)
			}
		}
		if len(locs) == 0 {
			if named[b.Name] || isInstalled {
				results = append(results, Result{Browser: b.Name, Scope: scope, Action: Skipped,
					Note: fmt.Sprintf("%s has no %s-level location on %s", b.DisplayName, scope, o.OS)})
			}
			continue
		}
		for _, l := range locs {
			t := target{browser: b.Name, family: manifest.FamilyOf(b), loc: l, named: named[b.Name], detected: isInstalled, stop: l.Base}
			if scope == manifest.System {
				t.keep = 2
			}
			targets = append(targets, t)
		}
	}
	return targets, results
}

// Install registers the host for the browsers opts selects: the named ones,
// the --user-data-dir, or else every installed browser. Sandboxed browsers
// are reported as skipped, with what they would need. Each location is
// written atomically and only when its content differs, so a second run
// reports "unchanged" and touches nothing. The error joins every failure;
// the report is complete either way.
func Install(opts Options) (Report, error) {
	o, err := opts.normalize()
	if err != nil {
		return Report{DryRun: opts.DryRun}, err
	}
	if o.Binary == "" {
		return Report{DryRun: o.DryRun}, ErrNoBinary
	}
	if o.OS == runtime.GOOS {
		if fi, err := os.Stat(o.Binary); err != nil {
			return Report{DryRun: o.DryRun}, fmt.Errorf("host binary: %w", err)
		} else if fi.IsDir() {
			return Report{DryRun: o.DryRun}, fmt.Errorf("host binary %s is a directory", o.Binary)
		}
	}
	m, err := manifest.ForFamily(manifest.Chromium, o.OS, o.Binary, o.ExtensionIDs...)
	if err != nil {
		return Report{DryRun: o.DryRun}, err
	}
	fm, err := manifest.ForFamily(manifest.Gecko, o.OS, o.Binary, o.ExtensionIDs...)
	if err != nil {
		return Report{DryRun: o.DryRun}, err
	}
	byFamily := map[manifest.Family]manifest.Manifest{manifest.Chromium: m, manifest.Gecko: fm}
	rep := Report{DryRun: o.DryRun, Manifest: &m}
	targets, skipped := o.plan(false)
	if len(targets) == 0 && len(skipped) == 0 {
		return rep, fmt.Errorf("%w for %s: name one with --browser (%s) or use --user-data-dir",
			ErrNoBrowser, o.Home, strings.Join(manifest.Names(), ", "))
	}
	for _, t := range targets {
		if t.family == manifest.Gecko {
			rep.FirefoxManifest = &fm
			break
		}
	}
	var errs []error
	if o.OS == "windows" {
		for _, f := range []manifest.Family{manifest.Chromium, manifest.Gecko} {
			var ts []target
			for _, t := range targets {
				if t.family == f {
					ts = append(ts, t)
				}
			}
			if len(ts) == 0 {
				continue
			}
			res, e := o.installWindows(byFamily[f], o.manifestFileFor(f), ts)
			rep.Results, errs = append(rep.Results, res...), append(errs, e...)
		}
	} else {
		rep.Results, errs = o.installFiles(byFamily, targets)
	}
	rep.Results = append(rep.Results, skipped...)
	return rep, errors.Join(errs...)
}

func (o Options) installFiles(byFamily map[manifest.Family]manifest.Manifest, targets []target) ([]Result, []error) {
	return eachManifestFile(targets, func(t target, r *Result) error {
		var err error
		data := byFamily[t.family].Marshal()
		if o.DryRun {
			r.Action, err = planWrite(r.Path, data)
		} else {
			r.Action, err = writeFile(r.Path, data)
		}
		if err == nil && !t.detected {
			r.Note = "browser not detected; registered because it was named"
		}
		return err
	}, func(Result, target) bool { return true })
}

// eachManifestFile runs act once per distinct manifest file of targets (a
// Result with Browser, Scope and Path set for act to complete; an error
// makes it Failed). A target whose file was already handled gets that
// result, noted. show decides which results are listed.
func eachManifestFile(targets []target, act func(t target, r *Result) error, show func(r Result, t target) bool) ([]Result, []error) {
	var results []Result
	var errs []error
	done := map[string]Result{}
	for _, t := range targets {
		file := filepath.Join(t.loc.Dir, manifest.FileName(manifest.HostName))
		r := Result{Browser: t.browser, Scope: t.loc.Scope, Path: file}
		if prev, ok := done[file]; ok {
			r.Action, r.Note = prev.Action, "same file as for "+prev.Browser
		} else {
			if err := act(t, &r); err != nil {
				r.Action, r.Note = Failed, err.Error()
				errs = append(errs, err)
			}
			done[file] = r
		}
		if show(r, t) {
			results = append(results, r)
		}
	}
	return results, errs
}

func (o Options) installWindows(m manifest.Manifest, file string, targets []target) ([]Result, []error) {
	var errs []error
	var fileAction Action
	var err error
	if o.DryRun {
		fileAction, err = planWrite(file, m.Marshal())
	} else {
		fileAction, err = writeFile(file, m.Marshal())
	}
	if err != nil {
		errs = append(errs, err)
	}
	root := o.regRoot()
	var results []Result
	done := map[string]Result{}
	for _, t := range targets {
		r := Result{Browser: t.browser, Scope: t.loc.Scope, Path: file, RegistryKey: string(root) + `\` + t.loc.Key}
		if prev, ok := done[t.loc.Key]; ok {
			r.Action, r.Note = prev.Action, "same key as for "+prev.Browser
			results = append(results, r)
			continue
		}
		if fileAction == Failed {
			r.Action, r.Note = Failed, err.Error()
			done[t.loc.Key] = r
			results = append(results, r)
			continue
		}
		cur, ok, gerr := o.Registry.Default(root, ViewNative, t.loc.Key)
		keyAction := Unchanged
		switch {
		case gerr != nil:
			keyAction = Failed
		case !ok:
			keyAction = Installed
		case cur != file:
			keyAction = Updated
		}
		if gerr == nil && keyAction != Unchanged && !o.DryRun {
			gerr = o.Registry.SetDefault(root, t.loc.Key, file)
		}
		r.Action = keyAction
		if keyAction == Unchanged && fileAction != Unchanged {
			r.Action = Updated
		}
		if gerr != nil {
			r.Action, r.Note = Failed, fmt.Sprintf("registry %s: %v", r.RegistryKey, gerr)
			errs = append(errs, fmt.Errorf("registry %s: %w", r.RegistryKey, gerr))
		} else if !t.detected {
			r.Note = "browser not detected; registered because it was named"
		}
		done[t.loc.Key] = r
		results = append(results, r)
	}
	return results, errs
}

// sharedWithInstalled returns the display name of an installed browser that
// is not being uninstalled and reads the same location as t.
func (o Options) sharedWithInstalled(t target) string {
	if len(o.Browsers) == 0 {
		return ""
	}
	named := map[string]bool{}
	for _, n := range o.Browsers {
		named[n] = true
	}
	env := o.env()
	for _, b := range manifest.Browsers() {
		p, ok := b.Platforms[o.OS]
		if named[b.Name] || !ok || !installed(env, p) {
			continue
		}
		for _, l := range manifest.Locations(env, b, manifest.HostName) {
			if l.Scope == t.loc.Scope && l.Variant == "native" && l.Dir == t.loc.Dir && l.Key == t.loc.Key {
				return b.DisplayName
			}
		}
	}
	return ""
}

// Uninstall removes what Install wrote for the browsers opts selects (every
// browser in the table when none is named): manifests and registry keys
// named com.authbridge.host, then the folders that became empty. Anything
// that is not an authbridge manifest is left alone and reported as skipped.
func Uninstall(opts Options) (Report, error) {
	o, err := opts.normalize()
	if err != nil {
		return Report{DryRun: opts.DryRun}, err
	}
	targets, skipped := o.plan(true)
	var rep Report
	var errs []error
	if o.OS == "windows" {
		rep.Results, errs = o.uninstallWindows(targets)
	} else {
		rep.Results, errs = o.uninstallFiles(targets)
	}
	rep.DryRun = o.DryRun
	rep.Results = append(rep.Results, skipped...)
	return rep, errors.Join(errs...)
}

func (o Options) uninstallFiles(targets []target) ([]Result, []error) {
	return eachManifestFile(targets, func(t target, r *Result) error {
		data, err := os.ReadFile(r.Path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			r.Action = NotFound
		case err != nil:
			return err
		default:
			if m, perr := manifest.Parse(data); perr != nil || m.Name != manifest.HostName {
				r.Action, r.Note = Skipped, "not an authbridge host manifest; left alone"
			} else if other := o.sharedWithInstalled(t); other != "" {
				r.Action, r.Note = Skipped, "kept: "+other+" reads the same file and stays registered"
			} else {
				r.Action = Removed
				if !o.DryRun {
					if err := os.Remove(r.Path); err != nil {
						return err
					}
					syncDir(t.loc.Dir)
					pruneEmpty(t.loc.Dir, t.stop, t.keep)
				}
			}
		}
		return nil
	}, func(r Result, t target) bool {
		// a browser that is not here and has nothing of ours: not worth a line
		return r.Action != NotFound || t.detected || t.named
	})
}

// ours reports whether a registry value points at an authbridge manifest:
// a file this install writes, or any manifest named com.authbridge.host.
func (o Options) ours(value string) bool {
	if (value == o.manifestFile() || value == o.manifestFileFor(manifest.Gecko)) && o.Binary != "" {
		return true
	}
	data, err := os.ReadFile(value)
	if err != nil {
		return false
	}
	m, err := manifest.Parse(data)
	return err == nil && m.Name == manifest.HostName
}

func (o Options) uninstallWindows(targets []target) ([]Result, []error) {
	root := o.regRoot()
	var results []Result
	var errs []error
	done := map[string]Result{}
	removedFiles := map[string]bool{}
	deleted := map[string]bool{}
	for _, t := range targets {
		r := Result{Browser: t.browser, Scope: t.loc.Scope, RegistryKey: string(root) + `\` + t.loc.Key}
		if prev, ok := done[t.loc.Key]; ok {
			if prev.Action != NotFound || t.detected || t.named {
				r.Action, r.Path, r.Note = prev.Action, prev.Path, "same key as for "+prev.Browser
				results = append(results, r)
			}
			continue
		}
		cur, ok, err := o.Registry.Default(root, ViewNative, t.loc.Key)
		switch {
		case err != nil:
			r.Action, r.Note = Failed, fmt.Sprintf("registry %s: %v", r.RegistryKey, err)
			errs = append(errs, fmt.Errorf("registry %s: %w", r.RegistryKey, err))
		case !ok:
			r.Action = NotFound
		case !o.ours(cur):
			r.Action, r.Path, r.Note = Skipped, cur, "points at a file that is not an authbridge host manifest; left alone"
		default:
			r.Path = cur
			if other := o.sharedWithInstalled(t); other != "" {
				r.Action, r.Note = Skipped, "kept: "+other+" reads the same key and stays registered"
				break
			}
			r.Action = Removed
			deleted[t.loc.Key] = true
			removedFiles[cur] = true
			if !o.DryRun {
				if err := o.Registry.DeleteKey(root, t.loc.Key); err != nil {
					r.Action, r.Note = Failed, fmt.Sprintf("registry %s: %v", r.RegistryKey, err)
					errs = append(errs, fmt.Errorf("registry %s: %w", r.RegistryKey, err))
				}
			}
		}
		done[t.loc.Key] = r
		if r.Action == NotFound && !t.detected && !t.named {
			continue
		}
		results = append(results, r)
	}
	// Remove a manifest file once no key of the table points at it any more.
	for file := range removedFiles {
		if o.stillReferenced(file, root, deleted) {
			continue
		}
		r := Result{Browser: "manifest-file", Scope: o.scope(), Action: Removed, Path: file}
		if !o.DryRun {
			if err := os.Remove(file); err != nil && !errors.Is(err, os.ErrNotExist) {
				r.Action, r.Note = Failed, err.Error()
				errs = append(errs, err)
			}
		}
		results = append(results, r)
	}
	return results, errs
}

// stillReferenced reports whether a key of any browser, under HKCU or HKLM,
// other than the ones being deleted from root, still points at file.
func (o Options) stillReferenced(file string, root RegRoot, deleted map[string]bool) bool {
	for _, b := range manifest.Browsers() {
		for _, k := range b.Platforms["windows"].RegistryKeys {
			key := k + `\` + manifest.HostName
			for _, r := range []RegRoot{HKCU, HKLM} {
				if r == root && deleted[key] {
					continue
				}
				if v, ok, err := o.Registry.Default(r, ViewNative, key); err == nil && ok && v == file {
					return true
				}
			}
		}
	}
	return false
}
