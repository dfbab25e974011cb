//go:build !windows

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/localclient"
)

// TestConnectorsFolderIsLive copies definitions into the connectors folder
// of a running agent, as a new user would, and finds each change in
// `connectors`, `status` and the popup within a second: a file added, a
// broken one (reported with its file and field, the others unharmed), and
// a file removed.
func TestConnectorsFolderIsLive(t *testing.T) {
	w, _, base := demoWorld(t)
	w.startBrowser("demo.test")
	p := w.popup(t)
	popupWait := func(what string, wait chromedp.Action[chromedp.Void]) {
		t.Helper()
		wctx, cancel := context.WithTimeout(p, time.Second)
		defer cancel()
		if err := chromedp.Do(wctx, wait); err != nil {
			t.Fatalf("the popup did not show %s within 1s: %v", what, err)
		}
	}
	waitHealth(t, p, "demo", "unknown")

	c := &localclient.Client{Socket: w.status().Agent.Socket}
	ctx := context.Background()
	listed := func(id string) (inConnectors, inStatus bool) {
		cs, err := c.Connectors(ctx)
		if err != nil {
			t.Fatalf("GET /v1/connectors: %v", err)
		}
		st, err := c.Status(ctx, false)
		if err != nil {
			t.Fatalf("GET /v1/status: %v", err)
		}
		inConnectors = slices.ContainsFunc(cs.Connectors, func(ci apitype.ConnectorInfo) bool { return ci.ID == id })
		inStatus = slices.ContainsFunc(st.Connectors, func(r apitype.StatusRow) bool { return r.ID == id })
		return
	}
	dir := filepath.Join(w.home, "connectors")
	extra := filepath.Join(dir, "extra.json")
	def, _ := json.Marshal(map[string]any{
		"id": "extra", "name": "Extra", "domains": []string{"demo.test"}, "auth_cookies": []string{"sid"},
		"login_url": base + "/login", "verify": map[string]any{"url": base + "/account", "logged_in_selector": "#account-name"},
	})

	// Added.
	if err := os.WriteFile(extra, def, 0o600); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "extra is listed by GET /v1/connectors and /v1/status", func() bool {
		a, b := listed("extra")
		return a && b
	})
	popupWait("the extra row", chromedp.WaitVisible(chromedp.CSS(rowSel("extra"))))
	if out := w.must("connectors"); !strings.Contains(out, "extra") {
		t.Errorf("`authbridge connectors` does not list extra:\n%s", out)
	}
	if out := w.must("status"); !strings.Contains(out, "extra") {
		t.Errorf("`authbridge status` does not list extra:\n%s", out)
	}

	// Broken: reported with its file and field; the others keep working.
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`{"id": "broken", "name": "Broken", "domains": "demo.test"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var problem apitype.Problem
	eventually(t, time.Second, "broken.json is reported in problems", func() bool {
		cs, err := c.Connectors(ctx)
		if err != nil {
			return false
		}
		for _, pr := range cs.Problems {
			if filepath.Base(pr.File) == "broken.json" {
				problem = pr
				return true
			}
		}
		return false
	})
	if !strings.Contains(problem.Message, "domains") {
		t.Errorf("problem %+v does not name the field domains", problem)
	}
	if a, b := listed("demo"); !a || !b {
		t.Errorf("demo is no longer listed (connectors %v, status %v) after a bad file arrived", a, b)
	}
	if a, _ := listed("extra"); !a {
		t.Error("extra is no longer listed after a bad file arrived")
	}
	if _, errOut, code := w.run("", "connectors"); code != 0 || !strings.Contains(errOut, "broken.json") {
		t.Errorf("`authbridge connectors` (exit %d) does not report broken.json on stderr:\n%s", code, errOut)
	}

	// Removed.
	if err := os.Remove(extra); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "extra disappears from GET /v1/connectors and /v1/status", func() bool {
		a, b := listed("extra")
		return !a && !b
	})
	popupWait("the extra row gone", chromedp.WaitNotPresent(chromedp.CSS(rowSel("extra"))))
	if out := w.must("connectors"); strings.Contains(out, "extra") {
		t.Errorf("`authbridge connectors` still lists extra after its file was removed:\n%s", out)
	}
}
