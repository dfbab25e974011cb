// Package cli is authbridge's command line: every command is a client of the
// local API, except `serve` (the agent itself) and the relay mode Chrome
// starts with an extension origin as argv[1].
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/atomicfile"
	"github.com/authbridge/authbridge/host/localclient"
	"github.com/authbridge/authbridge/host/paths"
	"github.com/authbridge/authbridge/host/relay"
	"github.com/authbridge/authbridge/manifest"
)

// Version is the authbridge version, set at build time with -ldflags.
var Version = "0.1.0-dev"

// ExtensionID is the stable ID of the authbridge extension (from the key in
// extension/manifest.json).
const ExtensionID = "ldpickkggldlkffgckonbokbiinckjpp"

// GeckoID is the extension's Firefox id (browser_specific_settings.gecko.id).
const GeckoID = "authbridge@authbridge.dev"

// HostName is the native-messaging host name the extension connects to.
const HostName = "com.authbridge.host"

// Exit statuses shared by every command; taxonomy reasons add their own.
const (
	ExitOK                  = 0
	ExitError               = 1
	ExitUsage               = 2
	ExitBrowserNotConnected = 3
)

// env is what a command runs with.
type env struct {
	paths  paths.Paths
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	client *localclient.Client
}

type command struct {
	usage string
	run   func(ctx context.Context, e *env, args []string) int
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"serve":      {"serve [--foreground] [--idle-exit DURATION]", cmdServe},
		"install":    {"install [--browser NAME]... [--user-data-dir DIR] [--extension-id ID]... [--system] [--dry-run]", cmdInstall},
		"uninstall":  {"uninstall [--browser NAME]... [--user-data-dir DIR] [--system]", cmdUninstall},
		"doctor":     {"doctor [--json]", cmdDoctor},
		"status":     {"status [--json] [--all]", cmdStatus},
		"connectors": {"connectors [--json]", cmdConnectors},
		"access":     {"access [CONNECTOR] [--json]", cmdAccess},
		"cookies":    {"cookies CONNECTOR [--format playwright|cdp|netscape|header] [--url URL] [--out FILE]", cmdCookies},
		"verify":     {"verify CONNECTOR [--json]", cmdVerify},
		"repair":     {"repair CONNECTOR [--json] [--in-connector-browser [--timeout DURATION]]", cmdRepair},
		"clear":      {"clear CONNECTOR", cmdClear},
		"event":      {"event   (dogfood events, JSON lines on stdin)", cmdEvent},
		"report":     {"report [--json] [--html FILE] [--since DURATION] [--export ndjson]", cmdReport},
		"demo":       {"demo [--headed]", cmdDemo},
		"version":    {"version", cmdVersion},
	}
}

// Run runs authbridge with args (args[0] is the program name) and returns
// the exit status.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(ctx, args, stdin, stdout, stderr, os.Getenv)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	p, err := paths.Resolve(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "authbridge:", err)
		return ExitError
	}
	e := &env{paths: p, stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	e.client = &localclient.Client{Socket: p.APISocket, Start: func(ctx context.Context) error {
		return localclient.StartAgent(ctx, p, "", defaultIdleExit)
	}}
	rest := args[1:]
	if len(rest) > 0 {
		if _, isCmd := commands[rest[0]]; !isCmd {
			if origin := originArg(rest); origin != "" {
				return runRelay(ctx, e, origin)
			}
		}
	}
	if len(rest) == 0 || rest[0] == "help" || rest[0] == "-h" || rest[0] == "--help" {
		usage(stdout)
		if len(rest) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	c, ok := commands[rest[0]]
	if !ok {
		fmt.Fprintf(stderr, "authbridge: unknown command %q\n", rest[0])
		usage(stderr)
		return ExitUsage
	}
	// The relay (above) owns raw stdout; every command's output is made safe
	// for a terminal.
	e.stdout, e.stderr = newTermWriter(stdout), newTermWriter(stderr)
	return c.run(ctx, e, rest[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: authbridge COMMAND [flags]")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintln(w, "  authbridge", commands[n].usage)
	}
}

// originArg returns the calling extension when a browser started us: a
// chrome-extension:// origin (Chromium) or a gecko id after the manifest
// path (Firefox).
func originArg(args []string) string {
	return relay.CallerFromArgs(args)
}

// defaultIdleExit is how long an agent started on demand stays up with no
// browser and no request.
const defaultIdleExit = 10 * time.Minute

// newFlags returns a flag set that reports errors to the command's stderr
// and lets flags follow positional arguments.
func newFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: authbridge", commands[name].usage)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags anywhere among args and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// apiError prints an API failure as one line and returns its exit status.
func (e *env) apiError(err error) int {
	var ae *apitype.Error
	if errors.As(err, &ae) {
		fmt.Fprintln(e.stderr, "authbridge:", ae.Message)
		if ae.Code == apitype.CodeBrowserNotConnected {
			return ExitBrowserNotConnected
		}
		return ExitError
	}
	fmt.Fprintln(e.stderr, "authbridge:", err)
	return ExitError
}

func (e *env) printJSON(v any) {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// Config is the user's settings file, written by install.
type Config struct {
	// ExtensionIDs are extra extension IDs allowed to connect (a store
	// build, a development build), besides the built-in one.
	ExtensionIDs []string `json:"extension_ids,omitempty"`
}

func loadConfig(p paths.Paths) (Config, error) {
	var c Config
	b, err := os.ReadFile(p.ConfigFile)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", p.ConfigFile, err)
	}
	return c, nil
}

func saveConfig(p paths.Paths, c Config) error {
	if err := os.MkdirAll(filepath.Dir(p.ConfigFile), 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	return atomicfile.WriteFile(p.ConfigFile, append(b, '\n'), 0o600)
}

// allowedOrigins are the extension origins the host serves: chrome-extension://
// origins for Chromium browsers, and gecko ids as they are for Firefox.
func allowedOrigins(p paths.Paths) []string {
	ids := append(manifest.DefaultExtensionIDs(), GeckoID)
	if c, err := loadConfig(p); err == nil {
		ids = append(ids, c.ExtensionIDs...)
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if strings.Contains(id, "@") || strings.HasPrefix(id, "{") {
			out = append(out, id)
			continue
		}
		out = append(out, "chrome-extension://"+id+"/")
	}
	return out
}

// openLog opens a log file under the state directory.
func openLog(p paths.Paths, name string, also io.Writer) (*slog.Logger, func(), error) {
	if err := os.MkdirAll(p.LogDir, 0o700); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(filepath.Join(p.LogDir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, err
	}
	var w io.Writer = f
	if also != nil {
		w = io.MultiWriter(f, also)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})), func() { f.Close() }, nil
}
