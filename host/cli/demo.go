package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/chromium"
	"github.com/authbridge/authbridge/host/demosite"
	"github.com/authbridge/authbridge/host/internal/devext"
	"github.com/authbridge/authbridge/host/localclient"
	"github.com/authbridge/authbridge/host/metrics"
	"github.com/authbridge/authbridge/host/paths"
	"github.com/authbridge/authbridge/install"
	"github.com/authbridge/authbridge/manifest"
)

// cmdDemo runs the main job end to end on the embedded demo site, in a
// throw-away home and browser profile, printing each step. With --keep the
// demo world (site, browser, agent) keeps running until ctx ends (Ctrl-C,
// SIGTERM), then everything is stopped and removed.
func cmdDemo(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "demo")
	headed := fs.Bool("headed", false, "show the browser window (needs a display)")
	keep := fs.Bool("keep", false, "keep the demo world (site, browser, agent) running until Ctrl-C, and print commands to try against it")
	ext := fs.String("extension", "", "the unpacked extension folder `DIR` (default: ./extension, or next to the binary)")
	if _, err := parse(fs, args); err != nil {
		return e.flagErr(err)
	}
	d := &demo{e: e, out: e.stdout, headed: *headed}
	code := d.run(ctx, *ext)
	switch {
	case !*keep:
		d.cleanup()
	case code != ExitOK && d.base != "":
		fmt.Fprintln(e.stdout, "kept for a look at the logs:", d.base)
		d.stopProcesses()
	default:
		if err := d.keepRunning(ctx); err != nil {
			d.fail(err)
			code = ExitError
		}
		d.cleanup()
	}
	return code
}

// keepRunning writes the demo world's environment to base/env, prints the
// commands to try, and waits for ctx to end.
func (d *demo) keepRunning(ctx context.Context) error {
	u, err := url.Parse(d.siteBase)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	envFile := filepath.Join(d.base, "env")
	vars := []string{
		"AUTHBRIDGE_HOME=" + shellQuote(d.paths.Home),
		"DEMO_SITE=" + d.siteBase,
		"DEMO_RESOLVE=" + u.Hostname() + ":" + u.Port() + ":127.0.0.1",
		"PATH=" + shellQuote(filepath.Dir(exe)) + `:"$PATH"`,
	}
	var b strings.Builder
	b.WriteString("# authbridge demo --keep: the demo world's environment (source this file)\n")
	for _, v := range vars {
		b.WriteString("export " + v + "\n")
	}
	if err := os.WriteFile(envFile, []byte(b.String()), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(d.out, `
The demo world keeps running: the demo site at %s, a Chromium signed in to it,
and the authbridge agent. In another terminal, try:

  source %s
  authbridge status
  authbridge cookies demo --format netscape-compat --out demo-cookies.txt
  curl --resolve "$DEMO_RESOLVE" -b demo-cookies.txt "$DEMO_SITE/account"

(the env file sets AUTHBRIDGE_HOME, DEMO_SITE, DEMO_RESOLVE and PATH for this demo)
Press Ctrl-C here to stop it all and remove %s.
`, d.siteBase, shellQuote(envFile), d.base)
	<-ctx.Done()
	fmt.Fprintln(d.out, "\nStopping the demo world.")
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:=@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

type demo struct {
	e       *env
	out     interface{ Write([]byte) (int, error) }
	headed  bool
	base    string
	paths   paths.Paths
	client  *localclient.Client
	browser *chromium.Browser
	site    *demosite.Site
	// siteBase is the demo site's base URL (http://demo.test:PORT).
	siteBase string
	login    string
	n        int
}

func (d *demo) step(format string, args ...any) {
	d.n++
	fmt.Fprintf(d.out, "\n%d. %s\n", d.n, fmt.Sprintf(format, args...))
}

func (d *demo) info(format string, args ...any) {
	fmt.Fprintf(d.out, "   %s\n", fmt.Sprintf(format, args...))
}

func (d *demo) fail(err error) int {
	fmt.Fprintln(d.e.stderr, "authbridge demo:", err)
	return ExitError
}

func findExtension(flag string) (string, error) {
	cands := []string{flag}
	if flag == "" {
		cands = []string{"extension"}
		if exe, err := os.Executable(); err == nil {
			dir := filepath.Dir(exe)
			cands = append(cands, filepath.Join(dir, "extension"), filepath.Join(dir, "..", "extension"))
		}
	}
	for _, c := range cands {
		if _, err := os.Stat(filepath.Join(c, "manifest.json")); err == nil {
			return filepath.Abs(c)
		}
	}
	return "", fmt.Errorf("the extension folder was not found (tried %s); run from the repository or pass --extension DIR", strings.Join(cands, ", "))
}

func (d *demo) run(ctx context.Context, extFlag string) int {
	ext, err := findExtension(extFlag)
	if err != nil {
		return d.fail(err)
	}
	exe, err := os.Executable()
	if err != nil {
		return d.fail(err)
	}
	if d.base, err = os.MkdirTemp("", "abdemo"); err != nil {
		return d.fail(err)
	}
	home := filepath.Join(d.base, "home")
	if d.paths, err = paths.Resolve(paths.WithHome(home, d.e.getenv)); err != nil {
		return d.fail(err)
	}
	if err := d.paths.EnsureDirs(); err != nil {
		return d.fail(err)
	}
	storage, port, err := d.startSite(ctx, home)
	if err != nil {
		return d.fail(err)
	}
	if err := d.startBrowser(ctx, exe, ext, home, port); err != nil {
		return d.fail(err)
	}
	return d.scenario(ctx, storage)
}

// startSite starts the demo site and writes its connector definition; it
// returns the definition's storage-state file and the site's port.
func (d *demo) startSite(ctx context.Context, home string) (storage, port string, err error) {
	d.step("Starting the demo connector site on loopback")
	// sid is a session cookie, as on many real sites: the one cookie files
	// used to lose (see the netscape-compat format).
	d.site = demosite.New(demosite.Options{SessionCookie: true})
	base, err := d.site.Start(context.Background(), "127.0.0.1:0")
	if err != nil {
		return "", "", err
	}
	d.siteBase = base
	u, _ := url.Parse(base)
	port = u.Port()
	def := d.site.Definition(base)
	d.login = def.LoginURL
	def.Session = nil
	storage = filepath.Join(home, "connector-state", "demo.json")
	conn := map[string]any{
		"id": def.ID, "name": def.Name, "domains": def.Domains, "auth_cookies": def.AuthCookies,
		"login_url": def.LoginURL, "verify": def.Verify,
		"session": map[string]string{"storage_state": storage},
	}
	b, _ := json.MarshalIndent(conn, "", "  ")
	if err := os.WriteFile(filepath.Join(d.paths.ConnectorsDir, "demo.json"), b, 0o600); err != nil {
		return "", "", err
	}
	d.info("%s (demo.test and its subdomains map to 127.0.0.1)", base)
	d.info("connector definition: %s", filepath.Join(d.paths.ConnectorsDir, "demo.json"))
	return storage, port, nil
}

// startBrowser installs the host into a throw-away Chromium profile, starts
// Chromium with the extension and waits for its bridge.
func (d *demo) startBrowser(ctx context.Context, exe, ext, home, port string) error {
	udd := filepath.Join(d.base, "profile")
	d.step("Installing the native-messaging host into a throw-away Chromium profile")
	rep, err := install.Install(install.Options{Home: filepath.Join(d.base, "user"), Getenv: func(string) string { return "" },
		Binary: exe, Browsers: []string{"chromium"}, UserDataDir: udd})
	if err != nil {
		return err
	}
	for _, r := range rep.Results {
		if strings.HasPrefix(r.Path, udd) {
			d.info("%s %s", r.Action, r.Path)
		}
	}

	d.step("Starting Chromium with the authbridge extension loaded")
	// The extension reads no site until the user allows it in the popup
	// (the browser's own prompt). With a display and a person at the
	// terminal, the demo shows that step; without, it grants demo.test
	// through a development copy of the extension, whose manifest lists the
	// site, and says so.
	allowStep := d.personWithDisplay()
	if allowStep {
		d.headed = true
	} else {
		devExt := filepath.Join(d.base, "extension-dev")
		if err := devext.Copy(ext, devExt, []string{"*://*.demo.test/*"}); err != nil {
			return err
		}
		ext = devExt
		d.info("access: no display here, so demo.test is granted through a development copy of the extension (%s), as if you had clicked Allow access on its row in the authbridge popup and accepted the browser's prompt", devExt)
	}
	resolve := "demo.test:" + port + ":127.0.0.1,www.demo.test:" + port + ":127.0.0.1"
	os.Setenv("AUTHBRIDGE_RESOLVE", resolve)
	d.browser, err = chromium.Launch(context.Background(), chromium.Options{
		UserDataDir: udd, Extension: ext, Headed: d.headed,
		HostResolverRules: chromium.HostResolverRules("127.0.0.1", "demo.test"),
		Env:               []string{"AUTHBRIDGE_HOME=" + home, "AUTHBRIDGE_RESOLVE=" + resolve},
	})
	if err != nil {
		return err
	}
	d.client = &localclient.Client{Socket: d.paths.APISocket}
	if err := d.waitBridge(ctx); err != nil {
		return err
	}
	d.info("the extension connected to the agent (agent started on demand by the relay Chrome launched)")
	if allowStep {
		if err := d.allowAccess(ctx); err != nil {
			return err
		}
	}
	return nil
}

// scenario signs in, expires the session, signs in again and prints the
// report, as the demo's steps say.
func (d *demo) scenario(ctx context.Context, storage string) int {
	d.step("Status before signing in")
	d.status(ctx)

	d.step("Signing in to the demo site in that browser, as a user would")
	run1 := d.appEvent(ctx, "", map[string]any{"type": "run_started"})
	if err := d.signIn(ctx); err != nil {
		return d.fail(err)
	}
	d.info("signed in as \"ada\"; the site set its session cookie sid")
	if err := d.waitHealthy(ctx, 5*time.Second); err != nil {
		d.info("the sign-in was not healed automatically yet (%v); repairing by hand", err)
		if d.action(ctx, "repair", run1) == "" {
			return ExitError
		}
	} else {
		d.info("auto-repair saw the new sid cookie and marked the connector Healthy")
	}
	d.status(ctx)

	d.step("The connector's cookies, as a Playwright runner gets them (values hidden here)")
	if err := d.cookies(ctx); err != nil {
		return d.fail(err)
	}
	d.info("full values: authbridge cookies demo --format playwright (`authbridge demo --keep` keeps this world running to try it)")
	d.appEvent(ctx, run1, map[string]any{"type": "run_succeeded", "auth_mode_used": "headless_only"})

	d.step("The site expires the session server-side; the app's next run verifies")
	d.site.ExpireSessions()
	run2 := d.appEvent(ctx, "", map[string]any{"type": "run_started"})
	reason := d.action(ctx, "verify", run2)
	d.appEvent(ctx, run2, map[string]any{"type": "run_failed", "auth_mode_used": "interactive_required", "auth_failure_reason": reason})

	d.step("Signing in again in the browser: authbridge repairs the connector by itself")
	start := time.Now()
	if err := d.signIn(ctx); err != nil {
		return d.fail(err)
	}
	if err := d.waitHealthy(ctx, 30*time.Second); err != nil {
		return d.fail(err)
	}
	d.info("Healthy again %d ms after the sign-in, with no command and no click", time.Since(start).Milliseconds())
	if _, err := os.Stat(storage); err == nil {
		d.info("the connector's storage state holds the fresh session: %s", storage)
	}
	d.status(ctx)
	run3 := d.appEvent(ctx, "", map[string]any{"type": "run_started"})
	d.appEvent(ctx, run3, map[string]any{"type": "run_succeeded", "auth_mode_used": "headless_only"})

	d.step("The dogfood report (the app's runs and the host's own actions)")
	var report metrics.Report
	if err := d.client.JSON(ctx, "GET", "/v1/report", nil, &report); err != nil {
		return d.fail(err)
	}
	buf := &strings.Builder{}
	metrics.WriteText(buf, &report)
	for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
		d.info("%s", line)
	}
	fmt.Fprintln(d.out, "\nDemo complete.")
	return ExitOK
}

// personWithDisplay reports whether a person can click in a browser window:
// a display (on Linux DISPLAY or WAYLAND_DISPLAY; macOS and Windows have
// one) and a terminal on stdin (CI and scripts have none).
func (d *demo) personWithDisplay() bool {
	f, ok := d.e.stdin.(*os.File)
	if !ok {
		return false
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	switch runtime.GOOS {
	case "darwin", "windows":
		return true
	}
	return d.e.getenv("DISPLAY") != "" || d.e.getenv("WAYLAND_DISPLAY") != ""
}

// allowAccess shows the allow step: the popup in a tab, the person clicks
// Allow access on the Demo Site row, then Allow in the browser's prompt.
func (d *demo) allowAccess(ctx context.Context) error {
	d.step("Allowing authbridge to read demo.test: the consent step")
	d.info("the extension was installed with access to no site; the demo connector waits for yours.")
	d.info("In the browser window: on the Demo Site row of the authbridge popup (opened in a tab), click Allow access,")
	d.info("then Allow in the browser's prompt (\"Read and change your data on all demo.test sites\").")
	tab, cancel := chromedp.NewContext(d.browser.Ctx)
	defer cancel()
	if err := chromedp.Do(tab, chromedp.Navigate("chrome-extension://"+manifest.ExtensionID+"/popup.html")); err != nil {
		return fmt.Errorf("open the popup: %w", err)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		var st apitype.Status
		if err := d.client.JSON(ctx, "GET", "/v1/status", nil, &st); err == nil {
			for _, r := range st.Connectors {
				if r.ID == "demo" && r.Access == apitype.AccessGranted {
					d.info("allowed: the browser grants demo.test, so its cookies may now leave the browser for this connector")
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("demo.test was not allowed within 5 minutes: click Allow access in the popup, then Allow in the browser's prompt")
}

func (d *demo) waitBridge(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var st apitype.Status
		if err := d.client.JSON(ctx, "GET", "/v1/status", nil, &st); err == nil {
			for _, b := range st.Bridges {
				if b.ExtensionVersion != "" {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("the extension did not connect within 60s (see %s)", d.paths.LogDir)
}

func (d *demo) waitHealthy(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		var st apitype.Status
		if err := d.client.JSON(ctx, "GET", "/v1/status", nil, &st); err == nil {
			for _, r := range st.Connectors {
				if r.ID == "demo" && r.HealthKey == "healthy" {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("demo did not turn Healthy within %v", limit)
}

func (d *demo) signIn(ctx context.Context) error {
	tctx, cancel := context.WithTimeout(d.browser.Ctx, 30*time.Second)
	defer cancel()
	return chromedp.Do(tctx,
		chromedp.Navigate(d.login),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "ada"),
		chromedp.SendKeys(chromedp.ID("password"), demosite.DefaultPassword),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("account-name")),
	)
}

func (d *demo) status(ctx context.Context) {
	var st apitype.Status
	if err := d.client.JSON(ctx, "GET", "/v1/status", nil, &st); err != nil {
		d.info("status: %v", err)
		return
	}
	for _, r := range st.Connectors {
		if r.ID != "demo" {
			continue
		}
		d.info("authbridge status:  demo  %s  %s", r.Health, dash(r.Reason))
		d.info("  %s. %s  Next: %s", r.Prompt.What, r.Prompt.Why, r.Prompt.Action.Label)
	}
}

// action runs verify or repair for the app's run and returns the result's
// code ("" on failure).
func (d *demo) action(ctx context.Context, name, runID string) string {
	var ans apitype.ActionResult
	if err := d.client.JSON(ctx, "POST", "/v1/connectors/demo/"+name, apitype.ActionRequest{RunID: runID}, &ans); err != nil {
		d.fail(err)
		return ""
	}
	d.info("authbridge %s demo:", name)
	buf := &strings.Builder{}
	printResult(&env{stdout: buf}, ans)
	for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
		d.info("  %s", line)
	}
	return string(ans.Result.Code)
}

// appEvent sends a dogfood event as the data-export app would, in run runID
// (a new run when empty), and returns the run id.
func (d *demo) appEvent(ctx context.Context, runID string, e map[string]any) string {
	if runID == "" {
		runID = uuid.NewString()
	}
	e["connector_id"], e["run_id"], e["source"] = "demo", runID, "app"
	if err := d.client.JSON(ctx, "POST", "/v1/events", e, nil); err != nil {
		d.info("recording the app's event failed: %v", err)
	}
	return runID
}

func (d *demo) cookies(ctx context.Context) error {
	body, _, err := d.client.Do(ctx, "GET", "/v1/connectors/demo/cookies?format=playwright", nil)
	if err != nil {
		return err
	}
	var st struct {
		Cookies []struct {
			Name, Value, Domain, Path, SameSite string
			Expires                             float64
			HTTPOnly                            bool `json:"httpOnly"`
			Secure                              bool
		} `json:"cookies"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(d.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "   NAME\tDOMAIN\tPATH\tEXPIRES\tHTTPONLY\tSAMESITE\tVALUE")
	for _, c := range st.Cookies {
		exp := "session"
		if c.Expires > 0 {
			exp = time.Unix(int64(c.Expires), 0).Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "   %s\t%s\t%s\t%s\t%v\t%s\t(%d bytes)\n", c.Name, c.Domain, c.Path, exp, c.HTTPOnly, c.SameSite, len(c.Value))
	}
	return tw.Flush()
}

func (d *demo) stopProcesses() {
	if d.browser != nil {
		d.browser.Close()
		d.browser = nil
	}
	if d.site != nil {
		d.site.Close()
	}
	if d.client != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		d.client.StopAgent(ctx)
	}
}

func (d *demo) cleanup() {
	d.stopProcesses()
	if d.base != "" {
		for i := 0; i < 20; i++ {
			if os.RemoveAll(d.base) == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
