//go:build !windows

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/chromium"
)

// signIn drives the browser like a user: sign in on the shop, then visit the
// pages that set the other cookies.
func signIn(t *testing.T, ctx context.Context, s *shop) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL("shop.test", "/login")),
		chromedp.WaitVisible(chromedp.ID("sign-in")),
		chromedp.SendKeys(chromedp.ID("password"), "hunter2"),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("account-name")),
	)
	if err != nil {
		t.Fatalf("sign in on the shop: %v", err)
	}
}

func setAllCookies(t *testing.T, ctx context.Context, s *shop) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, u := range []string{s.URL("shop.test", "/set-all"), s.URL("www.shop.test", "/set-www"), s.URL("news.test", "/")} {
		if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
			t.Fatalf("visit %s: %v", u, err)
		}
	}
	// The widget's partitioned cookie arrives with the iframe.
	eventually(t, 10*time.Second, "the partitioned cookie is set", func() bool {
		for _, c := range browserCookies(t, ctx) {
			if c.Name == "chip" {
				return true
			}
		}
		return false
	})
}

// browserCookies is what CDP says the browser holds.
func browserCookies(t *testing.T, ctx context.Context) []*network.Cookie {
	t.Helper()
	cs, err := chromedp.Run(ctx, chromedp.Action[[]*network.Cookie](func(ctx context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, tg, storage.GetCookies, storage.GetCookiesParams{})
		if err != nil {
			return nil, err
		}
		return res.Cookies, nil
	}))
	if err != nil {
		t.Fatalf("Storage.getCookies: %v", err)
	}
	return cs
}

func inShop(domain string) bool {
	d := strings.TrimPrefix(domain, ".")
	return d == "shop.test" || strings.HasSuffix(d, ".shop.test")
}

// key identifies a cookie the way the browser does.
func key(name, domain, path, partition string) string {
	return name + "|" + domain + "|" + path + "|" + partition
}

func cdpKey(c *network.Cookie) string {
	pk := ""
	if c.PartitionKey != nil {
		pk = c.PartitionKey.TopLevelSite
	}
	return key(c.Name, c.Domain, c.Path, pk)
}

// refCookie is a cookie as the browser holds it: the reference every format
// of `authbridge cookies` is checked against, attribute by attribute.
type refCookie struct {
	Name, Value, Domain, Path, Partition string
	Secure, HTTPOnly, Session            bool
	SameSite                             network.CookieSameSite // CDP's spelling; "" when unspecified
	Expires                              float64                // seconds since the epoch; unused for session cookies
}

// checkFormats checks the playwright, cdp and netscape output of
// `authbridge cookies ID` against want (by key: name, domain, path,
// partition), expiry to within expTol seconds. browser names the reference
// in messages.
func checkFormats(t *testing.T, w *world, id, browser string, want map[string]refCookie, expTol float64) {
	t.Helper()
	t.Run("playwright", func(t *testing.T) {
		var st struct {
			Cookies []struct {
				Name, Value, Domain, Path, SameSite, PartitionKey string
				Expires                                           float64
				HTTPOnly                                          bool `json:"httpOnly"`
				Secure                                            bool
			} `json:"cookies"`
			Origins []any `json:"origins"`
		}
		if err := json.Unmarshal([]byte(w.must("cookies", id, "--format", "playwright")), &st); err != nil {
			t.Fatal(err)
		}
		if len(st.Cookies) != len(want) || st.Origins == nil {
			t.Fatalf("playwright: %d cookies (origins %v), %s holds %d for the connector", len(st.Cookies), st.Origins, browser, len(want))
		}
		for _, c := range st.Cookies {
			b, ok := want[key(c.Name, c.Domain, c.Path, c.PartitionKey)]
			if !ok {
				t.Errorf("playwright cookie %s (%s%s, partition %q) is not in %s", c.Name, c.Domain, c.Path, c.PartitionKey, browser)
				continue
			}
			if c.Value != b.Value {
				t.Errorf("playwright %s: value differs from %s's", c.Name, browser)
			}
			wantExp := b.Expires
			if b.Session {
				wantExp = -1
			}
			if math.Abs(c.Expires-wantExp) > expTol {
				t.Errorf("playwright %s: expires %v, %s %v", c.Name, c.Expires, browser, wantExp)
			}
			if c.HTTPOnly != b.HTTPOnly || c.Secure != b.Secure || c.SameSite != pwSameSite(b.SameSite) {
				t.Errorf("playwright %s: httpOnly %v secure %v sameSite %s; %s %v %v %s", c.Name, c.HTTPOnly, c.Secure, c.SameSite, browser, b.HTTPOnly, b.Secure, pwSameSite(b.SameSite))
			}
		}
	})

	t.Run("cdp", func(t *testing.T) {
		var params []*network.CookieParam
		if err := json.Unmarshal([]byte(w.must("cookies", id, "--format", "cdp")), &params); err != nil {
			t.Fatal(err)
		}
		if len(params) != len(want) {
			t.Fatalf("cdp: %d cookies, %s holds %d", len(params), browser, len(want))
		}
		for _, p := range params {
			domain := p.Domain
			if domain == "" { // host-only: given by URL
				domain = strings.Split(strings.SplitN(p.URL, "://", 2)[1], "/")[0]
			}
			pk := ""
			if p.PartitionKey != nil {
				pk = p.PartitionKey.TopLevelSite
			}
			b, ok := want[key(p.Name, domain, p.Path, pk)]
			if !ok {
				t.Errorf("cdp cookie %s (%s%s) is not in %s", p.Name, domain, p.Path, browser)
				continue
			}
			if p.Value != b.Value || p.Secure != b.Secure || p.HTTPOnly != b.HTTPOnly || p.SameSite != b.SameSite {
				t.Errorf("cdp %s: secure %v httpOnly %v sameSite %q; %s %v %v %q", p.Name, p.Secure, p.HTTPOnly, p.SameSite, browser, b.Secure, b.HTTPOnly, b.SameSite)
			}
			if b.Session != (p.Expires == 0) {
				t.Errorf("cdp %s: expires %v for a cookie whose session is %v", p.Name, p.Expires, b.Session)
			} else if p.Expires != 0 && math.Abs(p.Expires.Float64()-b.Expires) > expTol {
				t.Errorf("cdp %s: expires %v, %s %v", p.Name, p.Expires.Float64(), browser, b.Expires)
			}
		}
	})

	t.Run("netscape", func(t *testing.T) {
		out := w.must("cookies", id, "--format", "netscape")
		sc := bufio.NewScanner(strings.NewReader(out))
		sc.Buffer(make([]byte, 64<<10), 64<<10)
		n := 0
		secTol := int64(math.Round(expTol))
		for sc.Scan() {
			line := sc.Text()
			httpOnly := strings.HasPrefix(line, "#HttpOnly_")
			line = strings.TrimPrefix(line, "#HttpOnly_")
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			f := strings.Split(line, "\t")
			if len(f) != 7 {
				t.Fatalf("netscape line has %d fields, want 7", len(f))
			}
			n++
			b, ok := want[key(f[5], f[0], f[2], "")]
			if !ok {
				// Partitioned cookies have no partition field in cookies.txt.
				for _, c := range want {
					if c.Name == f[5] && c.Domain == f[0] && c.Path == f[2] {
						b, ok = c, true
					}
				}
			}
			if !ok {
				t.Errorf("netscape cookie %s (%s%s) is not in %s", f[5], f[0], f[2], browser)
				continue
			}
			sub := strings.HasPrefix(b.Domain, ".")
			var wantExp int64
			if !b.Session {
				wantExp = int64(b.Expires)
			}
			gotExp, err := strconv.ParseInt(f[4], 10, 64)
			if err != nil || f[1] != strings.ToUpper(strconv.FormatBool(sub)) || f[3] != strings.ToUpper(strconv.FormatBool(b.Secure)) || gotExp-wantExp > secTol || wantExp-gotExp > secTol || f[6] != b.Value || httpOnly != b.HTTPOnly {
				t.Errorf("netscape %s: fields %q %q %q httpOnly %v differ from %s's", f[5], f[1], f[3], f[4], httpOnly, browser)
			}
		}
		if n != len(want) {
			t.Errorf("netscape: %d cookies, %s holds %d", n, browser, len(want))
		}
	})
}

// pwSameSite is Playwright's spelling of what CDP reports.
func pwSameSite(s network.CookieSameSite) string {
	switch s {
	case network.CookieSameSiteStrict:
		return "Strict"
	case network.CookieSameSiteNone:
		return "None"
	}
	return "Lax"
}

func TestCookiesMatchTheBrowserInEveryFormat(t *testing.T) {
	s := newShop(t)
	w := newWorld(t)
	w.writeConnector(s.connector())
	w.startBrowser("shop.test", "news.test")
	ctx := w.browser.Ctx
	signIn(t, ctx, s)
	setAllCookies(t, ctx, s)

	var want []*network.Cookie
	for _, c := range browserCookies(t, ctx) {
		if inShop(c.Domain) {
			want = append(want, c)
		}
	}
	wantKinds := map[string]bool{"sid": true, "hostonly": true, "sess": true, "sec": true, "strict": true, "lax": true, "big": true, "wwwonly": true, "chip": true}
	for _, c := range want {
		delete(wantKinds, c.Name)
	}
	if len(wantKinds) > 0 {
		t.Fatalf("the browser lacks test cookies %v: the test site did not set them", wantKinds)
	}
	refs := map[string]refCookie{}
	for _, c := range want {
		pk := ""
		if c.PartitionKey != nil {
			pk = c.PartitionKey.TopLevelSite
		}
		refs[cdpKey(c)] = refCookie{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path, Partition: pk,
			Secure: c.Secure, HTTPOnly: c.HTTPOnly, Session: c.Session, SameSite: c.SameSite, Expires: c.Expires}
	}

	checkFormats(t, w, "shop", "the browser", refs, 0.001)

	t.Run("header", func(t *testing.T) {
		// What the browser itself sends to that URL is the reference.
		for _, u := range []struct{ host, path string }{{"shop.test", "/account"}, {"www.shop.test", "/echo"}} {
			target := s.URL(u.host, u.path)
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			err := chromedp.Do(cctx, chromedp.Navigate(target))
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			sent := s.LastCookieHeader(u.path)
			got := strings.TrimSpace(w.must("cookies", "shop", "--format", "header", "--url", target))
			if !sameCookieSet(got, sent) {
				t.Errorf("header for %s differs from what the browser sent (%d vs %d cookies)", target, len(splitHeader(got)), len(splitHeader(sent)))
			}
		}
	})

	t.Run("no unrelated cookies", func(t *testing.T) {
		for _, f := range []string{"playwright", "cdp", "netscape"} {
			out := w.must("cookies", "shop", "--format", f)
			if v := s.Value("newsid"); v == "" || strings.Contains(out, v) || strings.Contains(out, "newsid") {
				t.Errorf("%s output holds the unrelated news.test cookie", f)
			}
		}
	})

	t.Run("a fresh browser given the output is signed in", func(t *testing.T) {
		var params []*network.CookieParam
		json.Unmarshal([]byte(w.must("cookies", "shop", "--format", "cdp")), &params)
		fresh, err := chromium.Launch(context.Background(), chromium.Options{
			UserDataDir:       t.TempDir(),
			HostResolverRules: chromium.HostResolverRules("127.0.0.1", "shop.test"),
			Flags:             map[string]any{"ignore-certificate-errors": true},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		fctx, cancel := context.WithTimeout(fresh.Ctx, 30*time.Second)
		defer cancel()
		err = chromedp.Do(fctx, chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := cdp.Call(ctx, tg, storage.SetCookies, storage.SetCookiesParams{Cookies: params})
			return chromedp.Void{}, err
		}), chromedp.Navigate(s.URL("shop.test", "/account")), chromedp.WaitVisible(chromedp.ID("account-name")))
		if err != nil {
			t.Fatalf("fresh browser with the cdp cookies is not signed in: %v", err)
		}
	})

	t.Run("agent killed: next request still answers", func(t *testing.T) {
		pid := w.status().Agent.PID
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		out, errOut, code := w.run("", "cookies", "shop", "--format", "playwright")
		if code != 0 {
			t.Fatalf("cookies after SIGKILL exited %d: %s", code, errOut)
		}
		if !strings.Contains(out, `"sid"`) {
			t.Errorf("cookies after SIGKILL lack sid")
		}
		if np := w.status().Agent.PID; np == pid || np == 0 {
			t.Errorf("agent pid after restart = %d, killed %d", np, pid)
		}
	})

	t.Run("no cookie value leaks", func(t *testing.T) {
		assertNoLeaks(t, w, s.Values())
	})
}

func splitHeader(h string) []string {
	if strings.TrimSpace(h) == "" {
		return nil
	}
	parts := strings.Split(h, "; ")
	sort.Strings(parts)
	return parts
}

func sameCookieSet(a, b string) bool {
	pa, pb := splitHeader(a), splitHeader(b)
	if len(pa) != len(pb) {
		return false
	}
	for i := range pa {
		if pa[i] != pb[i] {
			return false
		}
	}
	return true
}

// assertNoLeaks greps the state database, its WAL, every log and what the
// host printed on stderr for the test cookie values; and every file of the
// data-export app homes given, except their browser profiles (whose cookie
// store the browser encrypts).
func assertNoLeaks(t *testing.T, w *world, values []string, appHomes ...string) {
	t.Helper()
	var files []string
	filepath.Walk(w.home, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && fi.Mode().IsRegular() && !strings.HasPrefix(filepath.Base(p), "sessions") && !strings.Contains(p, string(filepath.Separator)+"sessions"+string(filepath.Separator)) {
			files = append(files, p)
		}
		return nil
	})
	for _, h := range appHomes {
		filepath.Walk(h, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.IsDir() && fi.Name() == "browser-profiles" {
				return filepath.SkipDir
			}
			if err == nil && fi.Mode().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
	}
	if len(files) == 0 {
		t.Fatal("no state files to check")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, v := range values {
			if strings.Contains(string(b), v) {
				t.Errorf("a test cookie value appears in %s", f)
			}
		}
		if strings.Contains(string(b), secretPrefix) {
			t.Errorf("%s contains a test cookie value marker", f)
		}
	}
	if strings.Contains(w.stderr.String(), secretPrefix) {
		t.Errorf("a test cookie value appears in what authbridge printed on stderr")
	}
}

// TestPlaywrightRunner runs a real Playwright runner (playwright-core from
// npm, on Debian's Chromium) against the agent's socket.
func TestPlaywrightRunner(t *testing.T) {
	exe := needChromium(t)
	dir := filepath.Join(repoRoot, "host", "e2e", "playwright")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("playwright-core is not installed in %s: run `make deps` (npm ci there)", dir)
	}
	s := newShop(t)
	w := newWorld(t)
	w.writeConnector(s.connector())
	w.startBrowser("shop.test", "news.test")
	signIn(t, w.browser.Ctx, s)
	setAllCookies(t, w.browser.Ctx, s)
	statePath := filepath.Join(t.TempDir(), "state.json")
	w.must("cookies", "shop", "--format", "playwright", "--out", statePath)
	if fi, err := os.Stat(statePath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("--out file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "--test", "runner.test.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"AUTHBRIDGE_SOCKET="+filepath.Join(w.home, "run", "api.sock"),
		"CONNECTOR=shop",
		"ACCOUNT_URL="+s.URL("shop.test", "/account"),
		"STORAGE_STATE="+statePath,
		"RESOLVER_RULES="+chromium.HostResolverRules("127.0.0.1", "shop.test"),
		"CHROMIUM="+exe,
	)
	out, err := cmd.CombinedOutput()
	if strings.Contains(string(out), secretPrefix) {
		t.Errorf("the Playwright runner's output shows a cookie value")
		out = []byte("(output withheld: it held a cookie value)")
	}
	if err != nil {
		t.Fatalf("node --test runner.test.mjs: %v\n%s", err, out)
	}
	t.Logf("playwright runner:\n%s", lastLines(string(out), 12))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
