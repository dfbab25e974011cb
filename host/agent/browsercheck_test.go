package agent_test

import (
	"context"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/agent"
	"github.com/authbridge/authbridge/host/connector"
)

// TestBrowserCheckAsksTheUsersBrowser checks the session manager's
// BrowserCheck on a real agent with a scripted extension: it answers the
// extension's cookies.refresh of the verify URL (here a redirect, which the
// extension does not follow), and refuses a connector without a verify URL
// or with another cookie store without asking.
func TestBrowserCheckAsksTheUsersBrowser(t *testing.T) {
	p, a := startDemoAgent(t)
	startPeer(t, p.BridgeSocket, func() string { return "V1" })
	def := connector.Definition{ID: "demo", Name: "Demo", Domains: []string{"demo.test"}, AuthCookies: []string{"sid"},
		Verify: connector.Verify{URL: "http://demo.test/account", LoggedInSelector: "#a"}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var (
		status     int
		redirected bool
		err        error
	)
	for { // the fake extension may still be saying hello
		status, redirected, err = agent.BrowserCheck(a, ctx, def)
		if err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || status != 0 || !redirected {
		t.Fatalf("BrowserCheck = %d, %v, %v; want the extension's answer: status 0, redirected", status, redirected, err)
	}
	noURL := def
	noURL.Verify.URL = ""
	if _, _, err := agent.BrowserCheck(a, ctx, noURL); err == nil {
		t.Errorf("BrowserCheck of a connector without a verify URL succeeded")
	}
	other := def
	other.SourceStore = "firefox-container-1"
	if _, _, err := agent.BrowserCheck(a, ctx, other); err == nil {
		t.Errorf("BrowserCheck of a connector with another cookie store succeeded")
	}
}
