//go:build !windows

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/chromium"
)

// TestInstallConnectsThenUninstallBreaks installs with the real command into
// a fresh Chromium user-data-dir, sees the bridge connect, uninstalls, and
// sees Chromium report the host missing to the extension.
func TestInstallConnectsThenUninstallBreaks(t *testing.T) {
	w := newWorld(t)
	out := w.must("install", "--browser", "chromium", "--user-data-dir", w.udd)
	manifestPath := filepath.Join(w.udd, "NativeMessagingHosts", "com.authbridge.host.json")
	if !strings.Contains(out, manifestPath) {
		t.Errorf("install output does not name %s:\n%s", manifestPath, out)
	}
	if again := w.must("install", "--browser", "chromium", "--user-data-dir", w.udd); !strings.Contains(again, "unchanged") {
		t.Errorf("a second install changed something:\n%s", again)
	}
	launch := func() *chromium.Browser {
		b, err := chromium.Launch(context.Background(), chromium.Options{
			UserDataDir: w.udd, Extension: extension,
			Env: []string{"AUTHBRIDGE_HOME=" + w.home}, Output: &w.stderr,
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	w.browser = launch()
	w.waitBridge()
	doc, _, code := w.run("", "doctor", "--browser", "chromium", "--user-data-dir", w.udd)
	if code != 0 || !strings.Contains(doc, "No problems found") {
		t.Errorf("doctor after install exited %d:\n%s", code, doc)
	}
	w.browser.Close()

	w.must("uninstall", "--browser", "chromium", "--user-data-dir", w.udd)
	if _, err := os.Stat(manifestPath); !os.IsNotExist(err) {
		t.Fatalf("uninstall left %s", manifestPath)
	}
	w.stopAgent()
	eventually(t, 10*time.Second, "the agent stops", func() bool {
		_, err := os.Stat(filepath.Join(w.home, "run", "api.sock"))
		return err != nil
	})

	// Chromium now tells the extension the host is missing; the popup
	// shows it with the command that fixes it.
	w.browser = launch()
	p, cancel := chromedp.NewContext(w.browser.Ctx)
	defer cancel()
	ctx, cancel2 := context.WithTimeout(p, 30*time.Second)
	defer cancel2()
	if err := chromedp.Do(ctx, chromedp.Navigate(popupURL), chromedp.WaitVisible(chromedp.CSS(`#connection[data-connection="not_installed"]`))); err != nil {
		state, _ := chromedp.Run(p, chromedp.Evaluate[string](`document.querySelector("#connection")?.dataset.connection || "none"`))
		t.Fatalf("the popup does not report the host missing (connection %q): %v", state, err)
	}
	text, _ := chromedp.Run(p, chromedp.Evaluate[string](`document.body.innerText`))
	if !strings.Contains(text, "authbridge install") {
		t.Errorf("the popup does not name the fixing command:\n%s", text)
	}
	doc, _, code = w.run("", "doctor", "--browser", "chromium", "--user-data-dir", w.udd)
	if code == 0 || !strings.Contains(doc, "authbridge install") {
		t.Errorf("doctor after uninstall exited %d without the fix:\n%s", code, doc)
	}
}
