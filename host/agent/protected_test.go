package agent_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/authbridge/authbridge/host/agent"
	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/paths"
)

// recordingWriter is a session.ProfileWriter that records the folders it
// was asked to write into, and writes nothing.
type recordingWriter struct {
	mu   sync.Mutex
	dirs []string
}

func (w *recordingWriter) Replace(ctx context.Context, dir string, domains []string, cs []apitype.Cookie) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dirs = append(w.dirs, dir)
	return nil
}

// TestProfileDirOfTheUsersBrowserIsRefused: a connector whose
// session.profile_dir is (inside, or holds) a folder of the user's
// browsers' known user data dirs is refused by name, and nothing is
// written into it: `clear` answers an error instead of touching the
// user's own cookies.
func TestProfileDirOfTheUsersBrowserIsRefused(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	udd := filepath.Join(home, ".config", "chromium")
	for _, d := range []string{filepath.Join(udd, "Default"), filepath.Join(home, "own", "demo")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, dir string
		refused   bool
	}{
		{"the user's profile", filepath.Join(udd, "Default"), true},
		{"the user data dir", udd, true},
		{"a folder holding the user data dir", filepath.Join(home, ".config"), true},
		{"a folder of its own", filepath.Join(home, "own", "demo"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &recordingWriter{}
			p := startAgentWith(t, w, connector.Definition{ID: "demo", Name: "Demo", Domains: []string{"demo.test"}, AuthCookies: []string{"sid"},
				Session: &connector.Session{ProfileDir: tt.dir}})
			hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "unix", p.APISocket)
			}}}
			res, err := hc.Post("http://authbridge/v1/connectors/demo/clear", "application/json", nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			w.mu.Lock()
			written := w.dirs
			w.mu.Unlock()
			if !tt.refused {
				if res.StatusCode != 200 || len(written) != 1 {
					t.Fatalf("clear answered %d %s and wrote %v, want 200 and one write", res.StatusCode, body, written)
				}
				return
			}
			if len(written) != 0 {
				t.Fatalf("clear wrote into %v, the user's own browser profile", written)
			}
			if res.StatusCode == 200 || !strings.Contains(string(body), tt.dir) || !strings.Contains(string(body), "session.profile_dir") {
				t.Fatalf("clear answered %d %s, want a refusal naming session.profile_dir %s", res.StatusCode, body, tt.dir)
			}
		})
	}
}

// startAgentWith runs a real agent serving def with writer as its profile
// writer, until the test ends.
func startAgentWith(t *testing.T, writer *recordingWriter, def connector.Definition) paths.Paths {
	t.Helper()
	p, err := paths.Resolve(paths.WithHome(t.TempDir(), nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	a, err := agent.New(ctx, agent.Config{Paths: p, Ready: func() { close(ready) }, ProfileWriter: writer,
		LoadConnectors: func() ([]connector.Definition, []apitype.Problem) { return []connector.Definition{def}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	<-ready
	return p
}
