package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/chromium"
	"github.com/authbridge/authbridge/host/demosite"
	"github.com/authbridge/authbridge/host/localclient"
	"github.com/authbridge/authbridge/host/paths"
	"github.com/authbridge/authbridge/install"
)

// healEnv is one home, agent and browser for the heal measures, with its
// own demo site so the sign-in response can be timed on the server.
type healEnv struct {
	base    string
	site    *demosite.Site
	siteURL string
	port    string
	env     []string // the environment of authbridge commands in this home
	browser *chromium.Browser
	client  *localclient.Client

	mu      sync.Mutex
	loginAt time.Time // when the site answered the last sign-in
}

func newHealEnv(bin, ext string, extraEnv ...string) (*healEnv, error) {
	return newHealEnvWith(bin, ext, false, extraEnv...)
}

// newHealEnvWith is newHealEnv; withProfile gives the demo connector a
// persistent profile (session.profile_dir) besides its storage state, as
// every connector of the data-export app has.
func newHealEnvWith(bin, ext string, withProfile bool, extraEnv ...string) (*healEnv, error) {
	h := &healEnv{}
	var err error
	if h.base, err = os.MkdirTemp("", "abheal"); err != nil {
		return nil, err
	}
	home := filepath.Join(h.base, "home")
	p, _ := paths.Resolve(paths.WithHome(home, os.Getenv))
	if err := p.EnsureDirs(); err != nil {
		return h, err
	}
	h.site = demosite.New(demosite.Options{OnLogin: func(string) {
		h.mu.Lock()
		h.loginAt = time.Now()
		h.mu.Unlock()
	}})
	if h.siteURL, err = h.site.Start(context.Background(), "127.0.0.1:0"); err != nil {
		return h, err
	}
	h.port = h.siteURL[strings.LastIndex(h.siteURL, ":")+1:]
	port := h.port
	def := h.site.Definition(h.siteURL)
	session := map[string]string{"storage_state": filepath.Join(h.base, "state", "demo.json")}
	if withProfile {
		session["profile_dir"] = filepath.Join(h.base, "browser-profiles", "demo")
	}
	conn, _ := json.Marshal(map[string]any{"id": def.ID, "name": def.Name, "domains": def.Domains, "auth_cookies": def.AuthCookies,
		"login_url": def.LoginURL, "verify": def.Verify, "session": session})
	if err := os.WriteFile(filepath.Join(p.ConnectorsDir, "demo.json"), conn, 0o600); err != nil {
		return h, err
	}
	udd := filepath.Join(h.base, "profile")
	if _, err := install.Install(install.Options{Home: filepath.Join(h.base, "user"), Binary: bin, Browsers: []string{"chromium"}, UserDataDir: udd}); err != nil {
		return h, err
	}
	env := append([]string{"AUTHBRIDGE_HOME=" + home, "AUTHBRIDGE_RESOLVE=*:" + port + ":127.0.0.1"}, extraEnv...)
	h.env = append(os.Environ(), env...)
	// Every *.test name reaches the demo site, which also serves the bulk
	// cookies of the other "sites".
	h.browser, err = chromium.Launch(context.Background(), chromium.Options{UserDataDir: udd, Extension: ext,
		HostResolverRules: "MAP *.test 127.0.0.1, MAP test 127.0.0.1", Env: env})
	if err != nil {
		return h, err
	}
	h.client = &localclient.Client{Socket: p.APISocket}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if st, err := h.client.Status(context.Background(), false); err == nil && len(st.Bridges) > 0 && st.Bridges[0].ProfileDir != "" {
			return h, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return h, fmt.Errorf("the extension did not connect and bind")
}

func (h *healEnv) close() {
	if h.browser != nil {
		h.browser.Close()
	}
	if h.client != nil {
		h.client.StopAgent(context.Background())
	}
	if h.site != nil {
		h.site.Close()
	}
	os.RemoveAll(h.base)
}

func (h *healEnv) health() string {
	st, err := h.client.Status(context.Background(), false)
	if err != nil {
		return ""
	}
	for _, c := range st.Connectors {
		if c.ID == "demo" {
			return string(c.HealthKey)
		}
	}
	return ""
}

func (h *healEnv) signIn() error {
	ctx, cancel := context.WithTimeout(h.browser.Ctx, 30*time.Second)
	defer cancel()
	return chromedp.Do(ctx,
		chromedp.Navigate(h.siteURL+"/login"),
		chromedp.SendKeys(chromedp.ID("username"), "ada"),
		chromedp.SendKeys(chromedp.ID("password"), demosite.DefaultPassword),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("account-name")),
	)
}

// healOnce expires the session, has the host see it, signs in again and
// returns the time from the site's sign-in response to Healthy.
func (h *healEnv) healOnce(limit time.Duration) (time.Duration, error) {
	h.site.ExpireSessions()
	if err := h.client.JSON(context.Background(), "POST", "/v1/connectors/demo/verify", nil, nil); err != nil {
		return 0, err
	}
	if got := h.health(); got != "needs_attention" {
		return 0, fmt.Errorf("after expiry demo is %q, want needs_attention", got)
	}
	if err := h.signIn(); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if h.health() == "healthy" {
			h.mu.Lock()
			d := time.Since(h.loginAt)
			h.mu.Unlock()
			return d, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	logb, _ := os.ReadFile(filepath.Join(h.base, "home", "logs", "agent.log"))
	return 0, fmt.Errorf("demo did not heal within %v (health %q); agent log:\n%s", limit, h.health(), lastLines(string(logb), 15))
}

// cpuTicks is the process's user+system time in clock ticks.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st, nil
}

func measureHeal(ctx context.Context) ([]row, error) {
	bin, _ := filepath.Abs(*binFlag)
	ext, _ := filepath.Abs(*extFlag)
	var rows []row
	for _, c := range []struct {
		name        string
		withProfile bool
	}{{"storage-state connector", false}, {"profile connector", true}} {
		fmt.Printf("Healing a %s through live events...\n", c.name)
		live, err := healLive(bin, ext, c.withProfile)
		if err != nil {
			return nil, err
		}
		s := summarize(live)
		rows = append(rows, row{"heal via live events, " + c.name, ms(s.median), ms(s.p99), "<= 1 s", verdict(s.p99, time.Second)})
	}
	if *diskRuns <= 0 {
		return rows, nil
	}
	fmt.Println("Healing through the disk watcher alone (live events off)...")
	h, err := newHealEnv(bin, ext, "AUTHBRIDGE_LIVE_EVENTS=off")
	if err != nil {
		h.close()
		return nil, err
	}
	defer h.close()
	if err := h.signIn(); err != nil {
		return nil, err
	}
	// The first sign-in heals through the watcher too, once Chrome writes.
	deadline := time.Now().Add(90 * time.Second)
	for h.health() != "healthy" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	var disk []time.Duration
	for i := 0; i < *diskRuns; i++ {
		d, err := h.healOnce(90 * time.Second)
		if err != nil {
			return nil, err
		}
		disk = append(disk, d)
	}
	s := summarize(disk)
	rows = append(rows, row{"heal via the disk watcher alone (Chrome's write)", ms(s.median), ms(s.p99), "- (Chrome: <= 30 s)", "-"})
	return rows, nil
}

// healLive measures healRuns sign-ins healed through live events, each from
// the site's sign-in response to Healthy in the status.
func healLive(bin, ext string, withProfile bool) ([]time.Duration, error) {
	h, err := newHealEnvWith(bin, ext, withProfile)
	defer h.close()
	if err != nil {
		return nil, err
	}
	if err := h.signIn(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(10 * time.Second); h.health() != "healthy" && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	var live []time.Duration
	for i := 0; i < *healRuns; i++ {
		d, err := h.healOnce(10 * time.Second)
		if err != nil {
			return nil, err
		}
		live = append(live, d)
	}
	return live, nil
}

func measureIdle(ctx context.Context) ([]row, error) {
	bin, _ := filepath.Abs(*binFlag)
	ext, _ := filepath.Abs(*extFlag)
	fmt.Printf("Measuring the idle agent's CPU for %v (browser connected, profile watched)...\n", *idleFor)
	h, err := newHealEnv(bin, ext)
	if err != nil {
		h.close()
		return nil, err
	}
	defer h.close()
	var ping struct{ PID int }
	if err := h.client.JSON(ctx, "GET", "/v1/ping", nil, &ping); err != nil {
		return nil, err
	}
	time.Sleep(2 * time.Second) // let start-up work settle
	t0, err := cpuTicks(ping.PID)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	time.Sleep(*idleFor)
	t1, err := cpuTicks(ping.PID)
	if err != nil {
		return nil, err
	}
	// Clock ticks are 1/100 s on Linux.
	pct := float64(t1-t0) / 100 / time.Since(start).Seconds() * 100
	v := "meets"
	if pct >= 1 {
		v = "MISSES"
	}
	return []row{{fmt.Sprintf("agent CPU idle for %v with watchers on", *idleFor), fmt.Sprintf("%.3f %%", pct), "", "< 1 %", v}}, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
