//go:build !windows

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/localclient"
)

// joinedAnswer is what one path answered a repair with.
type joinedAnswer struct {
	via      string
	code     string
	detail   string
	verified string // the row's last_verified_at: one repair, one instant
	err      string
}

// TestRepairsJoinTheAutoHeal signs in in the user's browser while the demo
// site holds every probe, so the auto-heal repair stays under way; a manual
// repair from the CLI (--json), the API and the Node client then each join
// it, and the popup shows its one "Repairing…" state with the row's actions
// disabled. Once the site answers, every path reports that one repair's
// result, and the site saw one probe.
func TestRepairsJoinTheAutoHeal(t *testing.T) {
	w, site, base := demoWorld(t, "AUTHBRIDGE_VERIFY_TIMEOUT=180s")
	w.startBrowser("demo.test")
	p := w.popup(t)
	waitHealth(t, p, "demo", "unknown")

	release := site.Hold()
	t.Cleanup(release)
	site.ResetHits()
	verifyURL, _ := url.Parse(site.Definition(base).Verify.URL)

	// The user signs in: the site's session cookie appears in the browser.
	token := site.CreateSession("ada")
	sctx, scancel := context.WithTimeout(w.browser.Ctx, 20*time.Second)
	err := chromedp.Do(sctx, chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, storage.SetCookies, storage.SetCookiesParams{Cookies: []*network.CookieParam{{
			Name: "sid", Value: token, Domain: "demo.test", Path: "/", HTTPOnly: true, SameSite: network.CookieSameSiteLax,
			Expires: cdp.TimeSinceEpoch(time.Now().Add(time.Hour).Unix()),
		}}})
		return chromedp.Void{}, err
	}))
	scancel()
	if err != nil {
		t.Fatalf("set the session cookie in the browser: %v", err)
	}

	// The auto-heal repair is under way: the popup shows it as one state.
	repairing := fmt.Sprintf(`%s .waiting`, rowSel("demo"))
	wctx, wcancel := context.WithTimeout(p, 60*time.Second)
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(repairing))); err != nil {
		t.Fatalf("the popup does not show the auto-heal repair under way: %v\n%s", err, w.agentLog())
	}
	wcancel()
	if text := rowText(t, p, "demo"); !strings.Contains(text, "Repairing…") {
		t.Errorf("the popup row during the repair reads %q, want Repairing…", text)
	}
	enabled, err := chromedp.Run(p, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, rowSel("demo")+" [data-action]:not([disabled])")))
	if err != nil || enabled != 0 {
		t.Errorf("%d of the row's actions are enabled during the repair (%v), want none", enabled, err)
	}

	// Three manual repairs, each its own path, arrive while it runs.
	answers := make(chan joinedAnswer, 3)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		a := joinedAnswer{via: "cli"}
		out, errOut, code := w.run("", "repair", "demo", "--json")
		var ar apitype.ActionResult
		if err := json.Unmarshal([]byte(out), &ar); err != nil {
			a.err = fmt.Sprintf("exit %d, stdout not JSON (%v): %s %s", code, err, out, errOut)
		} else {
			a.code, a.detail, a.verified = string(ar.Result.Code), ar.Result.Detail, timeString(ar.Row.LastVerifiedAt)
		}
		answers <- a
	}()
	go func() {
		defer wg.Done()
		a := joinedAnswer{via: "api"}
		c := &localclient.Client{Socket: filepath.Join(w.home, "run", "api.sock")}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		ar, _, err := c.Repair(ctx, "demo", "")
		if err != nil {
			a.err = err.Error()
		} else {
			a.code, a.detail, a.verified = string(ar.Result.Code), ar.Result.Detail, timeString(ar.Row.LastVerifiedAt)
		}
		answers <- a
	}()
	go func() {
		defer wg.Done()
		a := joinedAnswer{via: "node client"}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		script := `const { Client } = require(process.argv[1]);
new Client({ autoStart: false }).repair('demo').then(
  (r) => console.log(JSON.stringify({ code: r.result.code, detail: r.result.detail, verified: r.row.last_verified_at })),
  (e) => { console.log(JSON.stringify({ error: e.code + ': ' + e.message })); process.exitCode = 1; });`
		cmd := exec.CommandContext(ctx, "node", "-e", script, filepath.Join(repoRoot, "clients", "node"))
		cmd.Env = append(w.env(), "AUTHBRIDGE_BIN="+binPath)
		out, err := cmd.Output()
		var got struct{ Code, Detail, Verified, Error string }
		if jerr := json.Unmarshal(out, &got); jerr != nil {
			a.err = fmt.Sprintf("%v: %s", err, out)
		} else {
			a.code, a.detail, a.err = got.Code, got.Detail, got.Error
			if at, perr := time.Parse(time.RFC3339Nano, got.Verified); perr == nil {
				a.verified = timeString(&at)
			}
		}
		answers <- a
	}()

	// Each joins the running repair (the agent says so in its log) before
	// the site answers.
	logFile := filepath.Join(w.home, "logs", "agent.log")
	eventually(t, 90*time.Second, "the three manual repairs wait for the running one", func() bool {
		b, _ := os.ReadFile(logFile)
		return strings.Count(string(b), "waiting for the running repair") >= 3
	})
	release()
	wg.Wait()
	close(answers)

	var got []joinedAnswer
	for a := range answers {
		if a.err != "" {
			t.Errorf("%s: %s", a.via, a.err)
			continue
		}
		got = append(got, a)
	}
	waitHealth(t, p, "demo", "healthy")
	row := w.connectorRow("demo")
	want := joinedAnswer{code: "OK", verified: timeString(row.LastVerifiedAt)}
	for _, a := range got {
		if a.code != want.code || a.verified != want.verified {
			t.Errorf("%s answered %s at %s, want the auto-heal repair's %s at %s", a.via, a.code, a.verified, want.code, want.verified)
		}
	}
	if n := site.Hits(verifyURL.Path); n != 1 {
		t.Errorf("the site saw %d probes, want the one of the auto-heal repair", n)
	}
	// The popup's row is Healthy, and its actions are back.
	click(t, p, "demo", "verify")
	waitHealth(t, p, "demo", "healthy")
}

// connectorRow is one connector's status row.
func (w *world) connectorRow(id string) apitype.StatusRow {
	w.t.Helper()
	for _, r := range w.status().Connectors {
		if r.ID == id {
			return r
		}
	}
	w.t.Fatalf("no status row for %s", id)
	return apitype.StatusRow{}
}

func timeString(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
