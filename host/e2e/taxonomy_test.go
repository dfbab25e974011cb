//go:build !windows

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/chromium"
	"github.com/authbridge/authbridge/host/demosite"
)

// verify runs `authbridge verify CONNECTOR --json` and checks that the exit
// status is the one the result documents.
func (w *world) verify(t *testing.T, id string, args ...string) apitype.ActionResult {
	t.Helper()
	out, errOut, code := w.run("", append([]string{"verify", id, "--json"}, args...)...)
	var v apitype.ActionResult
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("verify %s --json (exit %d): %v; stderr %s", id, code, err, errOut)
	}
	if code != v.Result.ExitStatus {
		t.Errorf("verify %s exited %d, but its result documents %d", id, code, v.Result.ExitStatus)
	}
	return v
}

// TestEveryReasonThroughTheRealPath produces each failure reason from the
// browser's cookies, through the host, to a probe of the demo site.
func TestEveryReasonThroughTheRealPath(t *testing.T) {
	w, site, base := demoWorld(t, "AUTHBRIDGE_AUTO_REPAIR=off", "AUTHBRIDGE_VERIFY_TIMEOUT=15s")
	js := demosite.JSDefinition(base)
	w.writeConnector(map[string]any{"id": js.ID, "name": js.Name, "domains": js.Domains, "auth_cookies": js.AuthCookies,
		"login_url": js.LoginURL, "verify": js.Verify})
	w.startBrowser("demo.test")

	// Each check is one run of the app: it says the run started, has the
	// host verify with its run id, and reports how the run ended.
	check := func(t *testing.T, id, code, detail string, exit int) {
		t.Helper()
		run := uuid.NewString()
		w.event(t, map[string]any{"type": "run_started", "connector_id": id, "run_id": run})
		v := w.verify(t, id, "--run-id", run)
		r := v.Result
		if r.Code == "OK" {
			w.event(t, map[string]any{"type": "run_succeeded", "connector_id": id, "run_id": run, "auth_mode_used": "headless_only"})
		} else {
			w.event(t, map[string]any{"type": "run_failed", "connector_id": id, "run_id": run, "auth_mode_used": "interactive_required", "auth_failure_reason": r.Code})
		}
		if string(r.Code) != code || r.Detail != detail {
			t.Fatalf("verify %s = %s/%s, want %s/%s", id, r.Code, r.Detail, code, detail)
		}
		if r.ExitStatus != exit {
			t.Errorf("verify %s exit status %d, want %d", id, r.ExitStatus, exit)
		}
		if r.Prompt.What == "" || !strings.Contains(r.Prompt.Why, "Demo Site") || r.Prompt.Action.Label == "" {
			t.Errorf("verify %s prompt %+v: want what, a why naming the site, and one action", id, r.Prompt)
		}
	}

	t.Run("PROFILE_COOKIE_MISSING before sign-in, without touching the site", func(t *testing.T) {
		hits := site.Hits("/account")
		check(t, "demo", "PROFILE_COOKIE_MISSING", "cookie_absent", 13)
		if site.Hits("/account") != hits {
			t.Errorf("the preflight reached the site")
		}
	})

	tab, cancel := chromedp.NewContext(w.browser.Ctx)
	defer cancel()
	signInTab(t, tab, base+"/login", true)

	t.Run("healthy", func(t *testing.T) { check(t, "demo", "OK", "logged_in", 0) })
	t.Run("healthy in a headless browser probe", func(t *testing.T) {
		v := w.verify(t, "demo-js")
		if v.Result.Code != "OK" || v.Probe != "browser" {
			t.Errorf("demo-js verify = %s via %s, want OK via browser", v.Result.Code, v.Probe)
		}
	})
	modes := []struct {
		mode, code, detail string
		status, exit       int
	}{
		{demosite.ModeMFA, "MFA_OR_CHALLENGE_REQUIRED", "mfa_redirect", 0, 11},
		{demosite.ModeCheckpoint, "CHECKPOINT_OR_SUSPICIOUS_LOGIN", "checkpoint_redirect", 0, 12},
		{demosite.ModeSelectorChanged, "CONNECTOR_AUTH_SELECTOR_CHANGED", "selector_missing", 0, 14},
		{demosite.ModeError, "NETWORK_OR_TIMEOUT", "http_503", 503, 15},
		{demosite.ModeError, "NETWORK_OR_TIMEOUT", "http_429", 429, 15},
		{demosite.ModeHang, "NETWORK_OR_TIMEOUT", "timeout", 0, 15},
	}
	for _, m := range modes {
		t.Run(m.code+"/"+m.detail, func(t *testing.T) {
			if err := site.SetMode(m.mode, demosite.ModeOptions{Status: m.status}); err != nil {
				t.Fatal(err)
			}
			defer site.Reset()
			check(t, "demo", m.code, m.detail, m.exit)
		})
	}
	t.Run("SESSION_EXPIRED after a server-side expiry", func(t *testing.T) {
		site.ExpireSessions()
		check(t, "demo", "SESSION_EXPIRED", "login_redirect", 10)
		// status shows the stored result.
		st := w.status()
		for _, c := range st.Connectors {
			if c.ID == "demo" && (c.Reason != "SESSION_EXPIRED" || c.HealthKey != "needs_attention" || c.Prompt.Action.Label == "") {
				t.Errorf("status row after expiry: %+v", c)
			}
		}
	})
	t.Run("the report shows the app's and the host's events", func(t *testing.T) {
		var rep struct {
			Connectors []struct {
				ConnectorID            string         `json:"connector_id"`
				Runs                   int            `json:"runs"`
				InteractiveRequiredPct *float64       `json:"interactive_required_pct"`
				InteractiveByReason    map[string]int `json:"interactive_by_reason"`
			} `json:"connectors"`
		}
		if err := json.Unmarshal([]byte(w.must("report", "--json")), &rep); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range rep.Connectors {
			if c.ConnectorID == "demo" {
				found = true
				if c.Runs < 9 || c.InteractiveRequiredPct == nil || c.InteractiveByReason["SESSION_EXPIRED"] != 1 || c.InteractiveByReason["NETWORK_OR_TIMEOUT"] != 3 {
					t.Errorf("report for demo: runs %d, interactive %v, by reason %v", c.Runs, c.InteractiveRequiredPct, c.InteractiveByReason)
				}
			}
		}
		if !found {
			t.Fatalf("report --json has no demo connector")
		}
		sources := map[string]int{}
		for _, line := range strings.Split(strings.TrimSpace(w.must("report", "--export", "ndjson")), "\n") {
			var e struct {
				Source string `json:"source"`
				Type   string `json:"type"`
			}
			json.Unmarshal([]byte(line), &e)
			sources[e.Source]++
		}
		if sources["app"] == 0 || sources["host"] == 0 {
			t.Errorf("exported events by source = %v, want both app and host", sources)
		}
		html := filepath.Join(outDir(t, "report"), "report.html")
		w.must("report", "--html", html)
		shot := filepath.Join(outDir(t, "report"), "report.png")
		shotHTML(t, html, shot)
		// The picture in the docs is a run's real report (make pictures).
		if png, err := os.ReadFile(shot); err != nil {
			t.Error(err)
		} else if err := os.WriteFile(filepath.Join(docsDir(t, "docs", "report"), "report.png"), png, 0o644); err != nil {
			t.Error(err)
		}
	})

	t.Run("no browser: exit 3", func(t *testing.T) {
		w.browser.Close()
		w.browser = nil
		eventually(t, 10*time.Second, "the bridge goes away", func() bool { return len(w.status().Bridges) == 0 })
		_, errOut, code := w.run("", "cookies", "demo")
		if code != 3 {
			t.Errorf("cookies with the browser closed: exit %d (%s), want 3", code, errOut)
		}
	})
}

// event sends one app-side event with `authbridge event`.
func (w *world) event(t *testing.T, e map[string]any) {
	t.Helper()
	b, _ := json.Marshal(e)
	if _, errOut, code := w.run(string(b)+"\n", "event"); code != 0 {
		t.Fatalf("authbridge event %s: exit %d: %s", b, code, errOut)
	}
}

// shotHTML opens a local HTML file in headless Chromium and saves a PNG.
func shotHTML(t *testing.T, page, png string) {
	t.Helper()
	b, err := chromium.Launch(context.Background(), chromium.Options{UserDataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1000, 800), chromedp.Navigate("file://"+page)); err != nil {
		t.Fatal(err)
	}
	img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(png, img, 0o644); err != nil {
		t.Fatal(err)
	}
}
