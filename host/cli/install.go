package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/install"
	"github.com/authbridge/authbridge/manifest"
)

// installOptions builds the install library's options from the machine and
// the flags shared by install, uninstall and doctor.
func installOptions(e *env, browsers []string, udd string, ids []string, system, dry bool) (install.Options, error) {
	exe, err := os.Executable()
	if err != nil {
		return install.Options{}, fmt.Errorf("find own executable: %w", err)
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	home := e.getenv("HOME")
	if home == "" {
		if home, err = os.UserHomeDir(); err != nil {
			return install.Options{}, err
		}
	}
	if udd != "" {
		if udd, err = filepath.Abs(udd); err != nil {
			return install.Options{}, err
		}
	}
	return install.Options{Home: home, Getenv: e.getenv, Binary: exe, Browsers: browsers,
		UserDataDir: udd, ExtensionIDs: ids, System: system, DryRun: dry}, nil
}

func cmdInstall(ctx context.Context, e *env, args []string) int {
	return runInstall(ctx, e, "install", args)
}

func cmdUninstall(ctx context.Context, e *env, args []string) int {
	return runInstall(ctx, e, "uninstall", args)
}

func runInstall(ctx context.Context, e *env, name string, args []string) int {
	fs := newFlags(e, name)
	var browsers, ids multiFlag
	fs.Var(&browsers, "browser", "the browser `NAME` to register with: "+fmt.Sprint(manifest.Names())+" (repeatable; default: every one installed)")
	udd := fs.String("user-data-dir", "", "also register in `DIR`/NativeMessagingHosts (a browser started with --user-data-dir=DIR)")
	system := fs.Bool("system", false, "use the system-wide locations (needs root)")
	asJSON := fs.Bool("json", false, "print what was done as JSON")
	var dry *bool
	if name == "install" {
		fs.Var(&ids, "extension-id", "also allow this extension `ID` (repeatable), e.g. the store build's; a gecko id (name@domain) for Firefox")
		dry = fs.Bool("dry-run", false, "print the plan and change nothing")
	} else {
		dry = new(bool)
	}
	if _, err := parse(fs, args); err != nil {
		return e.flagErr(err)
	}
	for _, id := range ids {
		validate := manifest.ValidateExtensionID
		if manifest.IsGeckoID(id) {
			validate = manifest.ValidateGeckoID
		}
		if err := validate(id); err != nil {
			fmt.Fprintf(e.stderr, "authbridge: --extension-id %q: %v\n", id, err)
			return ExitUsage
		}
	}
	opts, err := installOptions(e, browsers, *udd, ids, *system, *dry)
	if err != nil {
		fmt.Fprintln(e.stderr, "authbridge:", err)
		return ExitError
	}
	var rep install.Report
	if name == "install" {
		rep, err = install.Install(opts)
		if err == nil && !*dry && len(ids) > 0 {
			err = rememberExtensionIDs(e, ids)
		}
	} else {
		rep, err = install.Uninstall(opts)
	}
	if err != nil {
		fmt.Fprintln(e.stderr, "authbridge:", err)
		if errors.Is(err, install.ErrUnknownBrowser) {
			return ExitUsage
		}
		return ExitError
	}
	if *asJSON {
		e.printJSON(rep)
	} else {
		if *dry {
			fmt.Fprintln(e.stdout, "Dry run: nothing was changed.")
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		for _, r := range rep.Results {
			where := r.Path
			if r.RegistryKey != "" {
				where = r.RegistryKey + " -> " + r.Path
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Browser, r.Action, where, r.Note)
		}
		tw.Flush()
		if name == "install" && !*dry {
			fmt.Fprintln(e.stdout)
			loadExtensionHelp(e.stdout)
			fmt.Fprintln(e.stdout, "Then run `authbridge doctor` to check the connection.")
		}
	}
	for _, r := range rep.Results {
		if r.Action == install.Failed {
			return ExitError
		}
	}
	return ExitOK
}

// rememberExtensionIDs records extra extension IDs so the relay and agent
// accept them too.
func rememberExtensionIDs(e *env, ids []string) error {
	if err := os.MkdirAll(e.paths.Home, 0o700); err != nil {
		return err
	}
	c, err := loadConfig(e.paths)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !slices.Contains(c.ExtensionIDs, id) && id != ExtensionID {
			c.ExtensionIDs = append(c.ExtensionIDs, id)
		}
	}
	return saveConfig(e.paths, c)
}

func cmdDoctor(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "doctor")
	var browsers multiFlag
	fs.Var(&browsers, "browser", "only check the browser `NAME` (repeatable)")
	udd := fs.String("user-data-dir", "", "also check `DIR`/NativeMessagingHosts")
	asJSON := fs.Bool("json", false, "print the findings as JSON")
	if _, err := parse(fs, args); err != nil {
		return e.flagErr(err)
	}
	cfg, _ := loadConfig(e.paths)
	opts, err := installOptions(e, browsers, *udd, cfg.ExtensionIDs, false, false)
	if err != nil {
		fmt.Fprintln(e.stderr, "authbridge:", err)
		return ExitError
	}
	var st *apitype.Status
	var stErr error
	status := func() (*apitype.Status, error) {
		if st == nil && stErr == nil {
			st = new(apitype.Status)
			stErr = e.client.JSON(ctx, "GET", "/v1/status", nil, st)
		}
		return st, stErr
	}
	hooks := install.Hooks{
		Agent: func() error { _, err := status(); return err },
		ExtensionLastSeen: func() (time.Time, error) {
			s, err := status()
			if err != nil {
				return time.Time{}, err
			}
			var last time.Time
			for _, b := range s.Bridges {
				if b.ConnectedAt.After(last) {
					last = b.ConnectedAt
				}
			}
			if last.IsZero() {
				var ls apitype.LastSeen
				if err := e.client.JSON(ctx, "GET", "/v1/bridges/last-seen", nil, &ls); err == nil && ls.LastSeenAt != nil {
					last = *ls.LastSeenAt
				}
			}
			return last, nil
		},
		BoundProfile: func() (string, error) {
			s, err := status()
			if err != nil {
				return "", err
			}
			for _, b := range s.Bridges {
				if b.ProfileDir != "" {
					return b.ProfileDir + " (" + b.Binding + ")", nil
				}
			}
			return "", nil
		},
	}
	rep := install.Doctor(opts, hooks)
	if *asJSON {
		e.printJSON(rep)
	} else {
		for _, b := range rep.Browsers {
			fmt.Fprintf(e.stdout, "%s:\n", b.DisplayName)
			for _, f := range b.Findings {
				printFinding(e, f)
			}
		}
		if len(rep.Findings) > 0 {
			fmt.Fprintln(e.stdout, "authbridge:")
			for _, f := range rep.Findings {
				printFinding(e, f)
			}
		}
		for _, f := range rep.Findings {
			if f.Check == "extension" && f.Status != install.OK {
				fmt.Fprintln(e.stdout)
				loadExtensionHelp(e.stdout)
				break
			}
		}
		if rep.OK {
			fmt.Fprintln(e.stdout, "\nNo problems found.")
		} else {
			fmt.Fprintf(e.stdout, "\n%d problem(s) found.\n", len(rep.Problems()))
		}
	}
	if !rep.OK {
		return ExitError
	}
	return ExitOK
}

func printFinding(e *env, f install.Finding) {
	mark := map[install.Status]string{install.OK: "ok", install.Problem: "PROBLEM", install.Warning: "warning", install.Info: "info"}[f.Status]
	fmt.Fprintf(e.stdout, "  [%s] %s\n", mark, f.Message)
	if f.Fix != "" && f.Status != install.OK {
		fmt.Fprintf(e.stdout, "         fix: %s\n", f.Fix)
	}
}

// ExtensionStoreURL is the extension's store listing; empty until one is
// published, and then the first way to load it that help shows.
var ExtensionStoreURL = ""

// loadExtensionHelp says how to load the extension: from the store once it
// is published, else unpacked from the folder next to the binary or in the
// repository.
func loadExtensionHelp(w io.Writer) {
	dir, err := findExtension("")
	manifestFile := filepath.Join(dir, "manifest.json")
	if err != nil {
		dir = "the extension/ folder of the authbridge repository or release"
		manifestFile = "manifest.json in that folder"
	}
	fmt.Fprintln(w, "Load the authbridge extension in your browser:")
	if ExtensionStoreURL != "" {
		fmt.Fprintln(w, "  from its store page:", ExtensionStoreURL)
	} else {
		fmt.Fprintln(w, "  (no store listing is published yet: load it unpacked)")
	}
	fmt.Fprintln(w, "  Chrome, Chromium, Edge, Brave: chrome://extensions, turn on Developer mode, Load unpacked:", dir)
	fmt.Fprintln(w, "  Firefox: about:debugging#/runtime/this-firefox, Load Temporary Add-on:", manifestFile)
}
