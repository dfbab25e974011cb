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
	// SiteDomains are the domains of the sites the browser is for (a
	// connector's): the browser's own service hosts that lie inside them
	// are not blocked (QuietHosts).
	SiteDomains []string
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
		// No traffic of the browser's own to Google (component and
		// extension updates, sign-in, safe browsing, field trials,
		// metrics): authbridge's browsers contact the sites they open
		// and nothing else.
		"disable-features": "Translate,MediaRouter,DialMediaRouteProvider,OptimizationHints,OptimizationGuideModelDownloading,OptimizationGuideOnDeviceModel,OnDeviceModelService,CertificateTransparencyComponentUpdater,AutofillServerCommunication,NetworkTimeServiceQuerying,InterestFeedContentSuggestions,MediaDrmPreprovisioning,SafeBrowsingEnhancedProtection,PrivacySandboxSettings4,LensOverlay",
		"disable-component-extensions-with-background-pages": true,
		"disable-default-apps":                               true,
		"disable-client-side-phishing-detection":             true,
		"disable-domain-reliability":                         true,
		"disable-breakpad":                                   true,
		"disable-field-trial-config":                         true,
		"metrics-recording-only":                             true,
		"no-service-autorun":                                 true,
		"no-pings":                                           true,
		"safebrowsing-disable-auto-update":                   true,
		"disable-search-engine-choice-screen":                true,
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
	// The browser's own services are unreachable: their hosts resolve to
	// nothing ahead of any other rule (the first matching rule wins).
	rules := quietRules(o.SiteDomains)
	if r, ok := flags["host-resolver-rules"].(string); ok && r != "" {
		rules += ", " + r
	}
	flags["host-resolver-rules"] = rules
	return flags
}

// QuietHosts are the hosts Chromium contacts on its own (component and
// extension updates, Google account listing, safe browsing, connectivity
// and time checks, model downloads): flags do not stop all of them (the
// account listing has none), so every authbridge browser resolves them to
// nothing, except those inside the domains of the site it is for. The list
// is the launch flags table's quiet_hosts (host/chromeprofile/launchflags.json,
// which the runner reads too), copied here because host/chromeprofile
// builds on this package; chromeprofile's TestQuietHostsCopy fails when the
// two differ.
var QuietHosts = []string{
	"accounts.google.com", "accounts.youtube.com", "android.clients.google.com",
	"clients1.google.com", "clients2.google.com", "clients3.google.com", "clients4.google.com",
	"clients5.google.com", "clients6.google.com", "clientservices.googleapis.com",
	"update.googleapis.com", "*.gvt1.com", "*.gvt2.com", "dl.google.com",
	"safebrowsing.googleapis.com", "safebrowsingohttpgateway.googleapis.com", "sb-ssl.google.com",
	"connectivitycheck.gstatic.com", "optimizationguide-pa.googleapis.com",
	"content-autofill.googleapis.com", "translate.googleapis.com", "mtalk.google.com",
	"chromewebstore.googleapis.com", "passwordsleakcheck-pa.googleapis.com",
}

// quietRules are the host resolver rules blocking QuietHosts outside
// domains.
func quietRules(domains []string) string {
	var rules []string
	for _, h := range QuietHosts {
		base := strings.TrimPrefix(h, "*.")
		inside := false
		for _, d := range domains {
			d = strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(d), "."), ".")
			if d != "" && (base == d || strings.HasSuffix(base, "."+d) || strings.HasSuffix(d, "."+base)) {
				inside = true
				break
			}
		}
		if !inside {
			rules = append(rules, "MAP "+h+" ~NOTFOUND")
		}
	}
	return strings.Join(rules, ", ")
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
