//go:build !windows

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/chromium"
)

// TestBindingFindsTheProfileByItsCookies puts three profiles in one
// user-data-dir, each signed in to different sites, marks "Profile 1" as
// last used, and runs the extension in "Profile 2": the agent must bind to
// Profile 2 from cookie evidence, not from Local State.
func TestBindingFindsTheProfileByItsCookies(t *testing.T) {
	w, _, base := demoWorld(t)
	u := strings.TrimPrefix(base, "http://demo.test:")
	for _, prof := range []string{"Default", "Profile 1", "Profile 2"} {
		b, err := chromium.Launch(context.Background(), chromium.Options{
			UserDataDir: w.udd, HostResolverRules: "MAP *.test 127.0.0.1",
			Flags: map[string]any{"profile-directory": prof},
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
		slug := strings.ReplaceAll(strings.ToLower(prof), " ", "")
		for i := 0; i < 3; i++ {
			site := fmt.Sprintf("http://www.%s-%d.test:%s/bulk-cookies?n=20&prefix=%s", slug, i, u, slug)
			if err := chromedp.Do(ctx, chromedp.Navigate(site)); err != nil {
				t.Fatalf("populate %s: %v", prof, err)
			}
		}
		cancel()
		b.Close() // Chrome writes its cookie store on the way out
	}
	setLastUsed(t, w.udd, "Profile 1")

	w.must("install", "--browser", "chromium", "--user-data-dir", w.udd)
	b, err := chromium.Launch(context.Background(), chromium.Options{
		UserDataDir: w.udd, Extension: extension,
		HostResolverRules: "MAP *.test 127.0.0.1",
		Env:               append([]string{"AUTHBRIDGE_HOME=" + w.home}, w.extraEnv...),
		Flags:             map[string]any{"profile-directory": "Profile 2"},
		Output:            &w.stderr,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.browser = b
	t.Cleanup(b.Close)
	w.waitBridge()
	want := filepath.Join(w.udd, "Profile 2")
	check := func(what string) {
		t.Helper()
		var st apitype.Status
		eventually(t, 20*time.Second, what, func() bool {
			st = apitype.Status{}
			json.Unmarshal([]byte(w.must("status", "--json")), &st)
			return len(st.Bridges) == 1 && st.Bridges[0].ProfileDir != "" && st.Bridges[0].BindingDetail != nil
		})
		br := st.Bridges[0]
		if br.ProfileDir != want || br.Binding != "cookie-match" || br.BindingDetail.Assumed || br.BindingDetail.Evidence == "" {
			t.Errorf("%s: bound to %q by %q (%q, assumed %v); want %q by cookie-match", what, br.ProfileDir, br.Binding, br.BindingDetail.Evidence, br.BindingDetail.Assumed, want)
		}
		t.Logf("%s: %s — %s", what, br.Binding, br.BindingDetail.Evidence)
	}
	check("the bridge is bound")
	text := w.must("status")
	if !strings.Contains(text, want) || !strings.Contains(text, "cookie-match") {
		t.Errorf("status does not show the binding:\n%s", text)
	}
	// Chrome marks the profile it opened as last used; put Profile 1 back:
	// the change of Local State makes the agent bind again, with the same
	// answer.
	setLastUsed(t, w.udd, "Profile 1")
	check("after Local State changed")
}

func setLastUsed(t *testing.T, udd, prof string) {
	t.Helper()
	path := filepath.Join(udd, "Local State")
	var ls map[string]any
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("Local State: %v", err)
	}
	if err := json.Unmarshal(b, &ls); err != nil {
		t.Fatal(err)
	}
	p, _ := ls["profile"].(map[string]any)
	if p == nil {
		p = map[string]any{}
		ls["profile"] = p
	}
	p["last_used"] = prof
	out, _ := json.Marshal(ls)
	tmp := path + ".tmp"
	os.WriteFile(tmp, out, 0o600)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
