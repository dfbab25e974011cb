// Package chromium starts a real Chromium for the demo, the end-to-end
// tests, the benchmarks and the profile writer: the flags that work on a
// machine without network, the authbridge extension loaded unpacked, and a
// chromedp context to drive it.
package chromium

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
)

// ErrNotFound is returned when no Chromium executable can be found.
var ErrNotFound = errors.New("chromium not found (install it: apt-get install chromium)")

// FindExecutable returns the Chromium to use: $AUTHBRIDGE_CHROMIUM, else the
// first of the usual names on PATH.
func FindExecutable() (string, error) {
	if p := os.Getenv("AUTHBRIDGE_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNotFound
}

// Options describe one browser.
type Options struct {
	ExecPath    string // "" finds one
	UserDataDir string // required: a profile directory
	// Extension is an unpacked extension directory to load.
	Extension string
	// HostResolverRules maps host names to addresses, e.g.
	// "MAP *.demo.test 127.0.0.1, MAP demo.test 127.0.0.1".
	HostResolverRules string
	// Headed shows a window (needs a display).
	Headed bool
	// Env is added to the browser's environment (and so to the native
	// host it starts), e.g. AUTHBRIDGE_HOME=...
	Env []string
	// Flags are extra command-line flags.
	Flags map[string]any
	// Drop are flags the browser must not get, whatever their value
	// ("--password-store=basic" drops password-store), even from
	// BaseFlags: the launch flags table's drop lists.
	Drop []string
	// Output receives the browser's stdout and stderr (nil: discarded).
	Output io.Writer
	// NoSandbox runs Chromium without its sandbox. It is implied as root,
	// where Chromium does not start otherwise.
	NoSandbox bool
	// DevToolsPort starts the browser with a DevTools port
	// (--remote-debugging-port=0) instead of a pipe, as a browser another
	// program attaches to has: Chromium then writes the port to
	// DevToolsActivePort in the user data dir.
	DevToolsPort bool
}

// Browser is a running Chromium.
type Browser struct {
	// Ctx drives the browser's first tab; derive per-step timeouts from it.
	Ctx    context.Context
	cancel []context.CancelFunc
	once   sync.Once
}

// BaseFlags are the flags every authbridge-started browser gets (see
// ARCHITECTURE.md, "Testing with a real browser").
func BaseFlags() map[string]any {
	return map[string]any{
		"disable-gpu":                   true,
		"disable-quic":                  true,
		"no-first-run":                  true,
		"no-default-browser-check":      true,
		"disable-background-networking": true,
		"disable-component-update":      true,
		"disable-sync":                  true,
		"password-store":                "basic",
		"use-mock-keychain":             true,
		"disable-dev-shm-usage":         true,
		"disable-features":              "Translate,MediaRouter,OptimizationHints",
	}
}

// FlagSet is the command-line flags (without "--") a browser started as o
// says gets: BaseFlags, the mode's flags, o.Flags over them, and none of
// o.Drop.
func FlagSet(o Options) map[string]any {
	flags := BaseFlags()
	if o.NoSandbox || os.Geteuid() == 0 {
		flags["no-sandbox"] = true
	}
	if !o.Headed {
		flags["headless"], flags["hide-scrollbars"], flags["mute-audio"] = "new", true, true
	}
	if o.Extension != "" {
		flags["load-extension"], flags["disable-extensions-except"] = o.Extension, o.Extension
	} else {
		flags["disable-extensions"] = true
	}
	if o.HostResolverRules != "" {
		flags["host-resolver-rules"] = o.HostResolverRules
	}
	for k, v := range o.Flags {
		flags[k] = v
	}
	for _, d := range o.Drop {
		name, _, _ := strings.Cut(strings.TrimPrefix(d, "--"), "=")
		delete(flags, name)
	}
	return flags
}

// AllocatorOptions are the chromedp options that start Chromium as o says:
// the one place authbridge's browsers (the demo, the tests, the verify
// probe, the profile writer) get their flags.
func AllocatorOptions(o Options) ([]chromedp.ExecAllocatorOption, error) {
	exe := o.ExecPath
	if exe == "" {
		var err error
		if exe, err = FindExecutable(); err != nil {
			return nil, err
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(o.UserDataDir),
		chromedp.WindowSize(1280, 900),
	}
	for k, v := range FlagSet(o) {
		opts = append(opts, chromedp.Flag(k, v))
	}
	if len(o.Env) > 0 {
		opts = append(opts, chromedp.Env(o.Env...))
	}
	if o.Output != nil {
		opts = append(opts, chromedp.CombinedOutput(o.Output))
	}
	if o.DevToolsPort {
		opts = append(opts, chromedp.Flag("remote-debugging-port", "0"), remote.WebSocket)
	}
	return opts, nil
}

// Launch starts Chromium and waits until it answers.
func Launch(ctx context.Context, o Options) (*Browser, error) {
	if o.UserDataDir == "" {
		return nil, errors.New("chromium: a user data dir is required")
	}
	opts, err := AllocatorOptions(o)
	if err != nil {
		return nil, err
	}
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	b := &Browser{Ctx: bctx, cancel: []context.CancelFunc{bcancel, acancel}}
	// The first run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(bctx); err != nil {
		// Not Close: a graceful chromedp.Cancel of a browser that never
		// started takes the context's allocation token, and the context's
		// cancel then waits for it forever.
		bcancel()
		acancel()
		return nil, fmt.Errorf("start chromium: %w", err)
	}
	return b, nil
}

// Close closes the browser gracefully (so that it writes its cookie store
// and other state to disk), waits for it to exit, and then releases the
// contexts. It is safe to call more than once.
func (b *Browser) Close() {
	b.once.Do(func() {
		ctx, cancel := context.WithTimeout(b.Ctx, 20*time.Second)
		chromedp.Cancel(ctx)
		cancel()
		for _, c := range b.cancel {
			c()
		}
	})
}

// HostResolverRules maps every given domain and its subdomains to addr.
func HostResolverRules(addr string, domains ...string) string {
	var rules []string
	for _, d := range domains {
		rules = append(rules, "MAP *."+d+" "+addr, "MAP "+d+" "+addr)
	}
	return strings.Join(rules, ", ")
}
