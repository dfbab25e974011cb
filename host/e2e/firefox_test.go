//go:build !windows

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// ffWorld is a world whose browser is a real Firefox ESR with the extension
// installed as a temporary add-on and the host registered the way `authbridge
// install --browser firefox` does it (in $HOME/.mozilla/native-messaging-hosts).
type ffWorld struct {
	*world
	ff *firefox
}

func newFirefoxWorld(t *testing.T) *ffWorld {
	t.Helper()
	needFirefox(t)
	base := t.TempDir()
	w := &world{t: t, home: filepath.Join(base, "ab"), userDir: filepath.Join(base, "user"), udd: filepath.Join(base, "profile")}
	for _, d := range []string{w.home, w.userDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(w.stopAgent)
	return &ffWorld{world: w}
}

// start registers the host for Firefox, starts Firefox with hosts mapped to
// 127.0.0.1, installs the extension and waits for its bridge.
func (w *ffWorld) start(hosts ...string) {
	w.t.Helper()
	w.must("install", "--browser", "firefox")
	w.ff = launchFirefox(w.t, firefoxOptions{
		Profile: w.udd,
		Env:     append([]string{"HOME=" + w.userDir, "AUTHBRIDGE_HOME=" + w.home}, w.extraEnv...),
		Hosts:   hosts,
		Output:  &w.stderr,
	})
	if id := w.ff.installExtension(w.t, extension); id != geckoID {
		w.t.Fatalf("webExtension.install returned id %q, want %q", id, geckoID)
	}
	w.waitBridge()
}

func TestFirefoxBridgeConnects(t *testing.T) {
	w := newFirefoxWorld(t)
	w.start()
	st := w.status()
	t.Logf("bridges: %+v", st.Bridges)
}

// ffSignIn signs in on the shop in Firefox like a user would.
func ffSignIn(t *testing.T, f *firefox, s *shop) {
	t.Helper()
	f.navigate(t, s.URL("shop.test", "/login"))
	f.eval(t, `(document.getElementById('password').value = 'hunter2', document.getElementById('login-form').submit(), true)`, nil)
	eventually(t, 20*time.Second, "the shop shows the account page", func() bool {
		var path string
		return f.evalErr(`document.getElementById('account-name') ? location.pathname : ''`, &path) == nil && path == "/account"
	})
}

// ffSetAllCookies visits the pages that set the other cookies; the widget's
// partitioned cookie arrives with news.test's iframe.
func ffSetAllCookies(t *testing.T, f *firefox, s *shop) {
	t.Helper()
	for _, u := range []string{s.URL("shop.test", "/set-all"), s.URL("www.shop.test", "/set-www"), s.URL("news.test", "/")} {
		f.navigate(t, u)
	}
	eventually(t, 10*time.Second, "the partitioned cookie is set", func() bool {
		for _, c := range f.cookies(t, "default", "https://news.test") {
			if c.Name == "chip" {
				return true
			}
		}
		return false
	})
}

func TestFirefoxExplore(t *testing.T) {
	s := newShop(t)
	w := newFirefoxWorld(t)
	w.writeConnector(s.connector())
	w.start("shop.test", "www.shop.test", "widget.shop.test", "news.test")
	ffSignIn(t, w.ff, s)
	ffSetAllCookies(t, w.ff, s)
	for _, c := range w.ff.cookies(t, "default", "https://news.test") {
		c.Value.Value = fmt.Sprint(len(c.Value.Value))
		t.Logf("bidi %+v exp=%v", c, c.Expiry)
	}
	out := w.must("cookies", "shop", "--format", "playwright")
	var st struct{ Cookies []map[string]any }
	json.Unmarshal([]byte(out), &st)
	for _, c := range st.Cookies {
		c["value"] = len(c["value"].(string))
		t.Logf("pw %v", c)
	}
}
