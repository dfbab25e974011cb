package agent_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestRefreshAnswersTheRedirectAndAuditsTheOrigin calls POST .../refresh on
// a real agent whose scripted extension answers that the verify URL
// redirected (the extension follows no redirect): the answer says so with
// the hop's status, and the audit row names the origin the user's browser
// was sent to.
func TestRefreshAnswersTheRedirectAndAuditsTheOrigin(t *testing.T) {
	p, a := startDemoAgent(t)
	startPeer(t, p.BridgeSocket, func() string { return "V1" })
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", p.APISocket)
	}}}
	var got map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := hc.Post("http://authbridge/v1/connectors/demo/refresh", "application/json", nil)
		if err == nil {
			got = nil
			json.NewDecoder(res.Body).Decode(&got)
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("refresh did not succeed: %v %v", err, got)
		}
		time.Sleep(20 * time.Millisecond) // the fake extension is still saying hello
	}
	if got["redirected"] != true || got["http_status"] != float64(0) {
		t.Errorf("answer %v, want redirected true and http_status 0 (the hop's, never a redirect target's)", got)
	}
	rel, err := a.Store().Releases(context.Background(), "demo", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rel) != 1 || rel[0].URL != "http://demo.test" || rel[0].Format != "playwright-refresh" {
		t.Fatalf("release rows %+v, want one playwright-refresh row with URL http://demo.test", rel)
	}
}
