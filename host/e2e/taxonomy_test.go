//go:build !windows

package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/demosite"
)

type verifyJSON struct {
	Result struct {
		Code       string `json:"code"`
		Detail     string `json:"detail"`
		Health     string `json:"health"`
		ExitStatus int    `json:"exit_status"`
		Prompt     struct {
			What   string `json:"what"`
			Why    string `json:"why"`
			Action struct {
				ID    string `json:"id"`
				Label string `json:"label"`
			} `json:"action"`
		} `json:"prompt"`
	} `json:"result"`
	Probe string `json:"probe"`
}

// verify runs `authbridge verify CONNECTOR --json` and checks that the exit
// status is the one the result documents.
func (w *world) verify(t *testing.T, id string) verifyJSON {
	t.Helper()
	out, errOut, code := w.run("", "verify", id, "--json")
	var v verifyJSON
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
	w, site, base := demoWorld(t, "AUTHBRIDGE_AUTO_REPAIR=off", "AUTHBRIDGE_VERIFY_TIMEOUT=1500ms")
	js := demosite.JSDefinition(base)
	w.writeConnector(map[string]any{"id": js.ID, "name": js.Name, "domains": js.Domains, "auth_cookies": js.AuthCookies,
		"login_url": js.LoginURL, "verify": js.Verify})
	w.startBrowser("demo.test")

	check := func(t *testing.T, id, code, detail string, exit int) {
		t.Helper()
		v := w.verify(t, id)
		r := v.Result
		if r.Code != code || r.Detail != detail {
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
			start := time.Now()
			check(t, "demo", m.code, m.detail, m.exit)
			if m.mode == demosite.ModeHang && time.Since(start) > 15*time.Second {
				t.Errorf("a probe of a site that never answers took %v with a 1.5s timeout", time.Since(start))
			}
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
	t.Run("no browser: exit 3", func(t *testing.T) {
		w.browser.Close()
		w.browser = nil
		eventually(t, 10*time.Second, "the bridge goes away", func() bool { return len(w.status().Bridges) == 0 })
		_, errOut, code := w.run("", "cookies", "demo")
		if code != 3 {
			t.Errorf("cookies with the browser closed: exit %d (%s), want 3", code, errOut)
		}
	})
	_ = context.Background
}
