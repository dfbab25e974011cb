package verify

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/taxonomy"
)

// chromiumPath finds the browser for the real-browser test. Without one the
// test skips, unless $CI is set: CI must run it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found, and CI is set: install it (apt-get install chromium)")
	}
	t.Skip("chromium not found (apt-get install chromium); this test skips only when CI is unset")
	return ""
}

// scriptSite builds its signed-in marker with JavaScript, after a delay, and
// sends visitors without the session to /login by script, so only a browser
// sees either.
func scriptSite(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	switch r.URL.Path {
	case "/app":
		signedIn := false
		if c, err := r.Cookie("sid"); err == nil && c.Value == secret {
			signedIn = true
		}
		fmt.Fprintf(w, `<!doctype html><html><body><div id="root"></div><script>
const signedIn = %v;
setTimeout(() => {
  if (!signedIn) { location.href = "/login?from=app"; return; }
  const el = document.createElement("span");
  el.id = "account-name";
  el.textContent = "Ada";
  document.getElementById("root").appendChild(el);
}, 300);
</script></body></html>`, signedIn)
	case "/guarded":
		http.Redirect(w, r, "/checkpoint/challenge", http.StatusFound)
	case "/down":
		w.WriteHeader(http.StatusServiceUnavailable)
	case "/login":
		fmt.Fprint(w, `<!doctype html><html><body><form><input name="u"><input type="password" name="p"></form></body></html>`)
	default:
		http.NotFound(w, r)
	}
}

func TestBrowserProbe(t *testing.T) {
	execPath := chromiumPath(t)
	srv := httptest.NewServer(http.HandlerFunc(scriptSite))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	res, err := ParseResolve("demo.test:" + port + ":127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	def := demoDef("")
	def.Verify.Browser = true
	opts := Options{
		Resolver: &res,
		Timeout:  15 * time.Second,
		Browser:  BrowserOptions{ExecPath: execPath, NoSandbox: true},
	}

	stale := apitype.Cookie{Name: "sid", Value: "stale", Domain: "demo.test", Path: "/", HostOnly: true, Session: true}
	tests := []struct {
		name   string
		path   string
		cookie apitype.Cookie
		code   taxonomy.Code
		detail string
	}{
		{"signed in", "/app", sidCookie(".demo.test", false), taxonomy.OK, taxonomy.DetailLoggedIn},
		{"script redirect to login", "/app", stale, taxonomy.SessionExpired, taxonomy.DetailLoginRedirect},
		{"checkpoint redirect", "/guarded", stale, taxonomy.Checkpoint, taxonomy.DetailCheckpointRedirect},
		{"503 with an empty body", "/down", stale, taxonomy.NetworkOrTimeout, "http_503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			def := def
			def.Verify.URL = "http://demo.test:" + port + tt.path
			r, err := Verify(ctx, def, []apitype.Cookie{tt.cookie}, opts)
			if err != nil {
				t.Fatalf("Verify error: %v", err)
			}
			if r.Probe != ProbeBrowser {
				t.Errorf("Verify.Probe = %v, want %v", r.Probe, ProbeBrowser)
			}
			if r.Result.Code != tt.code || r.Result.Detail != tt.detail {
				t.Errorf("Verify(%s) = %v/%v, want %v/%v (evidence %+v)", tt.name, r.Result.Code, r.Result.Detail, tt.code, tt.detail, r.Evidence)
			}
			if len(r.Evidence.Hops) == 0 || r.Evidence.Hops[0].URL != def.Verify.URL || r.Evidence.Hops[0].Status == 0 {
				t.Errorf("Verify(%s) hops = %+v, want the verify URL first with its status", tt.name, r.Evidence.Hops)
			}
			t.Logf("hops %+v, final %s, took %d ms", r.Evidence.Hops, r.Evidence.FinalURL, r.ElapsedMS)
			checkNoSecret(t, r)
		})
	}
}

func TestBrowserProbeHangingServer(t *testing.T) {
	execPath := chromiumPath(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	defer func() {
		ln.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	}()

	def := demoDef("http://" + ln.Addr().String() + "/app")
	def.Verify.Browser = true
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := Verify(ctx, def, []apitype.Cookie{sidCookie("127.0.0.1", true)}, Options{
		Resolver: noEnv,
		Timeout:  time.Second,
		Browser:  BrowserOptions{ExecPath: execPath, NoSandbox: true},
	})
	if err != nil {
		t.Fatalf("Verify error: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("Verify ended only with the outer context")
	}
	if r.Result.Code != taxonomy.NetworkOrTimeout || r.Result.Detail != taxonomy.DetailTimeout {
		t.Errorf("Verify(hanging, browser) = %v/%v, want %v/%v", r.Result.Code, r.Result.Detail, taxonomy.NetworkOrTimeout, taxonomy.DetailTimeout)
	}
}
