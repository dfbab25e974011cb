// Package cli is authbridge's command line: every command is a client of the
// local API, except `serve` (the agent itself) and the relay mode Chrome
// starts with an extension origin as argv[1].
package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
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
	// cmd and flags are the running command and its flag set (newFlags).
	cmd   string
	flags *flag.FlagSet
}

type command struct {
	// usage is the synopsis after "authbridge ": every flag the command
	// accepts (a test compares it with the flag set).
	usage string
	run   func(ctx context.Context, e *env, args []string) int
}

var commands map[string]command

// summaries are the one line per command of the general help (a test
// checks that every command has one).
var summaries = map[string]string{
	"serve":      "run the per-user agent (started on demand; --foreground for systemd or launchd)",
	"install":    "register authbridge with your browsers (native-messaging host manifests)",
	"uninstall":  "remove what install registered",
	"doctor":     "check the installation, the extension's connection and the bound profile",
	"status":     "show each connector's health and the connected browsers",
	"connectors": "list the connector definitions and where each came from",
	"access":     "show which programs took which connector's cookies, when, how often and in which format",
	"cookies":    "print a connector's cookies from your browser, in a format a tool reads",
	"verify":     "check whether the connector's session still works, and say what to do if not",
	"repair":     "refresh the connector's session from your browser (or sign in in its own browser)",
	"clear":      "forget the connector's session (your browser's own sign-in is left alone)",
	"event":      "record dogfood events (JSON lines on stdin)",
	"report":     "summarise the recorded runs and repairs (the dogfood report)",
	"demo":       "try authbridge on a built-in demo site in a throw-away browser",
	"version":    "print the version",
	"help":       "show this help, or one command's usage and flags",
}

func init() {
	commands = map[string]command{
		"serve":      {"serve [--foreground] [--idle-exit DURATION] [--ready-fd FD]", cmdServe},
		"install":    {"install [--browser NAME]... [--user-data-dir DIR] [--extension-id ID]... [--system] [--dry-run] [--json]", cmdInstall},
		"uninstall":  {"uninstall [--browser NAME]... [--user-data-dir DIR] [--system] [--json]", cmdUninstall},
		"doctor":     {"doctor [--browser NAME]... [--user-data-dir DIR] [--json]", cmdDoctor},
		"status":     {"status [--json] [--all]", cmdStatus},
		"connectors": {"connectors [--json]", cmdConnectors},
		"access":     {"access [CONNECTOR] [--json]", cmdAccess},
		"cookies":    {"cookies CONNECTOR [--format playwright|cdp|netscape|netscape-compat|header] [--url URL] [--out FILE]", cmdCookies},
		"verify":     {"verify CONNECTOR [--json] [--run-id ID]", cmdVerify},
		"repair":     {"repair CONNECTOR [--json] [--run-id ID] [--in-connector-browser [--timeout DURATION]]", cmdRepair},
		"clear":      {"clear CONNECTOR [--json]", cmdClear},
		"event":      {"event", cmdEvent},
		"report":     {"report [--json] [--html FILE] [--since DURATION] [--export ndjson]", cmdReport},
		"demo":       {"demo [--headed] [--keep] [--extension DIR]", cmdDemo},
		"version":    {"version", cmdVersion},
		"help":       {"help [COMMAND]", cmdHelp},
	}
}

// Main runs authbridge as the process with args (args[0] is the program
// name) and the standard streams, and returns the exit status. An interrupt
// or SIGTERM cancels the running command's context, so it stops cleanly.
// What only prints (help, version, the usage with no command) runs without
// that watch: it has nothing to stop, and watching for signals costs a
// thread at start.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx := context.Background()
	if !printsOnly(args) {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	return Run(ctx, args, stdin, stdout, stderr)
}

// printsOnly reports whether args ask for what only prints: no command,
// help or version.
func printsOnly(args []string) bool {
	if len(args) < 2 {
		return true
	}
	switch args[1] {
	case "help", "-h", "-help", "--help", "version", "-version", "--version":
		return true
	}
	return false
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
	if len(rest) == 0 {
		usage(stderr)
		return ExitUsage
	}
	switch rest[0] {
	case "-h", "-help", "--help":
		rest[0] = "help"
	case "-version", "--version":
		rest[0] = "version"
	}
	c, ok := commands[rest[0]]
	if !ok {
		what := "command"
		if strings.HasPrefix(rest[0], "-") {
			what = "flag"
		}
		fmt.Fprintf(stderr, "authbridge: unknown %s %q%s (`authbridge help` lists the commands)\n", what, rest[0], suggest(rest[0], commandNames()))
		return ExitUsage
	}
	// The relay (above) owns raw stdout; every command's output is made safe
	// for a terminal.
	e.stdout, e.stderr = newTermWriter(stdout), newTermWriter(stderr)
	return c.run(ctx, e, rest[1:])
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// usage is the general help: what authbridge is, each command with its one
// line, and the exit statuses.
func usage(w io.Writer) {
	// The help is assembled in memory and written once: one write instead of
	// one per line and cell.
	var b bytes.Buffer
	defer func(out io.Writer) { out.Write(b.Bytes()) }(w)
	w = &b
	fmt.Fprintln(w, "authbridge keeps data-export connectors signed in with your browser's own session.")
	fmt.Fprintln(w, "\nusage: authbridge COMMAND [flags]\n\ncommands:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, n := range commandNames() {
		fmt.Fprintf(tw, "  %s\t%s\n", n, summaries[n])
	}
	tw.Flush()
	fmt.Fprintln(w, "\n`authbridge help COMMAND` (or `authbridge COMMAND --help`) shows a command's flags.")
	fmt.Fprintln(w, exitStatusHelp)
}

// exitStatusHelp documents the exit statuses (README "Exit status" too).
const exitStatusHelp = `
exit status:
  0   success (cookies: also when the browser has no auth cookie for the connector; stderr says so)
  1   an error (the message says which)
  2   usage: an unknown command, flag, format or a missing argument
  3   no browser is connected where live cookies are needed
  10+ verify and repair: the failure reason (10 SESSION_EXPIRED, 11 MFA_OR_CHALLENGE_REQUIRED,
      12 CHECKPOINT_OR_SUSPICIOUS_LOGIN, 13 PROFILE_COOKIE_MISSING, 14 CONNECTOR_AUTH_SELECTOR_CHANGED,
      15 NETWORK_OR_TIMEOUT, 16 UNKNOWN)`

func cmdHelp(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "help")
	args, err := parse(fs, args)
	if err != nil {
		return e.flagErr(err)
	}
	if len(args) == 0 {
		usage(e.stdout)
		return ExitOK
	}
	if len(args) > 1 {
		return e.usageErr("takes one COMMAND, got %d arguments", len(args))
	}
	name := args[0]
	c, ok := commands[name]
	if !ok || name == "help" {
		if name == "help" {
			usage(e.stdout)
			return ExitOK
		}
		fmt.Fprintf(e.stderr, "authbridge: unknown command %q%s (`authbridge help` lists the commands)\n", name, suggest(name, commandNames()))
		return ExitUsage
	}
	return c.run(ctx, e, []string{"--help"})
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

// newFlags returns a command's flag set: flags may follow positional
// arguments, --help prints the command's usage and flags to stdout, and a
// bad flag is one sentence on stderr (see usageErr).
func newFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	e.cmd, e.flags = name, fs
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

// flagErr answers a parse error: the command's help on stdout and 0 for
// --help, else one sentence on stderr and ExitUsage.
func (e *env) flagErr(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		commandHelp(e.stdout, e.cmd, e.flags)
		return ExitOK
	}
	return e.usageErr("%v", err)
}

// usageErr prints one sentence about a wrong command line and returns
// ExitUsage.
func (e *env) usageErr(format string, args ...any) int {
	fmt.Fprintf(e.stderr, "authbridge %s: %s (see `authbridge help %s`)\n", e.cmd, fmt.Sprintf(format, args...), e.cmd)
	return ExitUsage
}

// commandHelp prints a command's usage line, its one-line summary and every
// flag of fs with its default.
func commandHelp(w io.Writer, name string, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: authbridge %s\n\n%s.\n", commands[name].usage, upperFirst(summaries[name]))
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprintln(w, "\nflags:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		arg, text := flag.UnquoteUsage(f)
		if arg != "" {
			arg = " " + strings.ToUpper(arg)
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0s" && f.DefValue != "0" {
			text += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(tw, "  --%s%s\t%s\n", f.Name, arg, text)
	})
	tw.Flush()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// suggest returns " (did you mean x or y?)"-style text naming the known
// names nearest to name, or "" when none is near.
func suggest(name string, known []string) string {
	near := nearest(name, known, 3)
	if len(near) == 0 {
		return ""
	}
	return "; did you mean " + strings.Join(near, " or ") + "?"
}

// nearest returns up to max names of known within a small edit distance of
// name, closest first; when none is, the names holding name or held by it.
func nearest(name string, known []string, max int) []string {
	type cand struct {
		s string
		d int
	}
	var cs, sub []cand
	low := strings.ToLower(strings.TrimLeft(name, "-"))
	if low == "" {
		return nil
	}
	limit := 2
	if len(low) <= 3 {
		limit = 1
	}
	for _, k := range known {
		kl := strings.ToLower(k)
		d := editDistance(low, kl)
		switch {
		case d <= limit:
			cs = append(cs, cand{k, d})
		case len(low) >= 3 && (strings.Contains(kl, low) || strings.Contains(low, kl)):
			sub = append(sub, cand{k, d})
		}
	}
	if len(cs) == 0 {
		cs = sub // no near spelling: a name holding it, or held by it
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	for _, c := range cs {
		if len(out) == max {
			break
		}
		out = append(out, c.s)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, bytewise.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
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
