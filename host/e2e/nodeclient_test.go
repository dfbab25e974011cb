//go:build !windows

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// lockedBuffer is a bytes.Buffer safe to write from a child's pipes while
// the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestNodeClientLive runs the Node client (clients/node) against the agent
// with real Chromium and the extension: cookies() of the signed-in demo
// connector equal the CLI's output, and interactive({wait: true}) resolves
// only after the user signs in in the tab it opened.
func TestNodeClientLive(t *testing.T) {
	// Automatic repair is off, so only the interactive repair heals.
	w, site, base := demoWorld(t, "AUTHBRIDGE_AUTO_REPAIR=off")
	w.startBrowser("demo.test")
	tab, cancel := chromedp.NewContext(w.browser.Ctx)
	defer cancel()
	signInTab(t, tab, base+"/login", true)
	sid := browserSID(t, w.browser.Ctx)
	if sid == "" {
		t.Fatal("no sid cookie in the browser after signing in")
	}
	site.ExpireSessions()

	resolved := filepath.Join(t.TempDir(), "resolved")
	ctx, stop := context.WithTimeout(context.Background(), 3*time.Minute)
	defer stop()
	cmd := exec.CommandContext(ctx, "node", "--test", "live.test.mjs")
	cmd.Dir = filepath.Join(repoRoot, "host", "e2e", "nodeclient")
	cmd.Env = append(w.env(), "AUTHBRIDGE_BIN="+binPath, "CONNECTOR=demo",
		"ACCOUNT_URL="+base+"/account", "RESOLVED_FILE="+resolved)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	before := pageTargets(t, w)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	output := func() string {
		s := out.String()
		if strings.Contains(s, sid) {
			t.Errorf("the node client test printed a cookie value")
			return "(output withheld: it held a cookie value)"
		}
		return lastLines(s, 40)
	}

	// interactive() opens the login page in a new tab of the user's browser.
	var loginTab string
	deadline := time.Now().Add(60 * time.Second)
	for loginTab == "" {
		select {
		case err := <-done:
			t.Fatalf("node --test live.test.mjs ended (%v) before a login tab opened:\n%s", err, output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no login tab opened within 60s:\n%s", output())
		}
		for id, u := range pageTargets(t, w) {
			if _, old := before[id]; !old && strings.Contains(u, "/login") {
				loginTab = id
			}
		}
		if loginTab == "" {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if _, err := os.Stat(resolved); err == nil {
		t.Fatalf("interactive({wait: true}) resolved before anyone signed in")
	}
	signedInAt := time.Now()
	lctx, lcancel := chromedp.NewContext(w.browser.Ctx, chromedp.WithTargetID(targetID(loginTab)))
	defer lcancel()
	signInTab(t, lctx, "", false)

	if err := <-done; err != nil {
		t.Fatalf("node --test live.test.mjs: %v\n%s", err, output())
	}
	b, err := os.ReadFile(resolved)
	if err != nil {
		t.Fatalf("interactive({wait: true}) never resolved: %v\n%s", err, output())
	}
	ms, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatalf("resolved file: %v", err)
	}
	if at := time.UnixMilli(ms); at.Before(signedInAt) {
		t.Errorf("interactive({wait: true}) resolved at %v, before the sign-in began at %v", at, signedInAt)
	}
	assertNoLeaks(t, w, []string{sid, browserSID(t, w.browser.Ctx)})
	t.Logf("node client, live:\n%s", output())
}
