package localapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/session"
)

type fakeCatalog struct{}

func (fakeCatalog) Connector(id string) (connector.Definition, error) {
	if id == "demo" {
		return connector.Definition{ID: "demo", Domains: []string{"demo.test"}}, nil
	}
	return connector.Definition{}, fmt.Errorf("%w %q", session.ErrUnknownConnector, id)
}

func (fakeCatalog) Connectors() ([]connector.Definition, []apitype.Problem) {
	return []connector.Definition{{ID: "demo"}}, nil
}

// fakeSessions answers verify with the run id it got, and has no browser.
type fakeSessions struct{}

func (fakeSessions) Rows(ctx context.Context, all bool) ([]apitype.StatusRow, error) {
	return []apitype.StatusRow{{ID: "demo"}}, nil
}
func (fakeSessions) Verify(ctx context.Context, def connector.Definition, runID string) (apitype.ActionResult, error) {
	return apitype.ActionResult{Probe: runID, Row: apitype.StatusRow{ID: def.ID}}, nil
}
func (fakeSessions) Repair(ctx context.Context, def connector.Definition, runID string) (apitype.ActionResult, error) {
	return apitype.ActionResult{}, session.ErrNoBrowser
}
func (fakeSessions) Clear(ctx context.Context, def connector.Definition) (apitype.ClearResult, error) {
	return apitype.ClearResult{}, nil
}
func (fakeSessions) SignInConnector(ctx context.Context, def connector.Definition, runID string, timeout time.Duration) (apitype.ActionResult, error) {
	return apitype.ActionResult{}, nil
}
func (fakeSessions) Interactive(ctx context.Context, def connector.Definition, runID string) (apitype.InteractiveResult, error) {
	return apitype.InteractiveResult{}, nil
}
func (fakeSessions) LiveCookies(ctx context.Context, def connector.Definition) ([]apitype.Cookie, error) {
	return nil, session.ErrNoBrowser
}
func (fakeSessions) RecordRelease(ctx context.Context, def connector.Definition, n int, format string) error {
	return nil
}

type fakeBridges struct{}

func (fakeBridges) Bridges() []apitype.BridgeInfo                         { return []apitype.BridgeInfo{} }
func (fakeBridges) LastBridgeSeen(ctx context.Context) (time.Time, error) { return time.Time{}, nil }

// TestCall runs requests through the route table as the popup's api
// message does, checking route matching, path values, bodies and errors.
func TestCall(t *testing.T) {
	s := New(Config{
		Agent:   func() apitype.AgentInfo { return apitype.AgentInfo{Version: "test"} },
		Catalog: fakeCatalog{}, Sessions: fakeSessions{}, Bridges: fakeBridges{},
	})
	tests := []struct {
		method, path, body string
		status             int
		want               string // in the JSON answer
	}{
		{"GET", "/v1/ping", "", 200, `"version":"test"`},
		{"GET", "/v1/status", "", 200, `"connectors":[{"id":"demo"`},
		{"GET", "/v1/bridges/last-seen", "", 200, `"last_seen_at":null`},
		{"GET", "/v1/connectors", "", 200, `"problems":[]`},
		{"POST", "/v1/connectors/demo/verify", `{"run_id":"r1"}`, 200, `"probe":"r1"`},
		{"POST", "/v1/connectors/demo/verify", `{"run":"r1"}`, 400, `"code":"bad_request"`},
		{"POST", "/v1/connectors/nope/verify", "", 404, `"code":"not_found"`},
		{"GET", "/v1/connectors/demo/verify", "", 404, `no such API: GET /v1/connectors/demo/verify`},
		{"POST", "/v1/connectors/demo/repair", "", 503, `"reason":"UNKNOWN"`},
		{"GET", "/v1/connectors/demo/cookies?format=header", "", 400, `needs url`},
		{"GET", "/v1/connectors/demo/cookies?format=bogus", "", 400, `"code":"bad_request"`},
		{"GET", "/v1/connectors/demo/cookies", "", 503, `"code":"browser_not_connected"`},
		{"GET", "/v2/nothing", "", 404, `"code":"not_found"`},
	}
	for _, tt := range tests {
		ans, err := s.Call(context.Background(), "test", apitype.APIRequest{Method: tt.method, Path: tt.path, Body: json.RawMessage(tt.body)})
		if err != nil {
			t.Fatalf("Call(%s %s): %v", tt.method, tt.path, err)
		}
		b, _ := json.Marshal(ans.Body)
		if ans.Status != tt.status || !strings.Contains(string(b), tt.want) {
			t.Errorf("Call(%s %s %s) = %d %s, want %d with %s", tt.method, tt.path, tt.body, ans.Status, b, tt.status, tt.want)
		}
	}
	if _, err := s.Call(context.Background(), "test", apitype.APIRequest{Method: "GET", Path: "v1/ping"}); err == nil {
		t.Error("Call with a relative path: no error")
	}
}
