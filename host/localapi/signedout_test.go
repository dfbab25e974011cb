package localapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/authbridge/authbridge/host/apitype"
)

// TestSignedOut classifies a run's signed-out page through the route table:
// the demo connector of the fake catalogue names no auth cookie, so a
// cookie there is SESSION_EXPIRED; bad bodies are refused by field.
func TestSignedOut(t *testing.T) {
	s := New(Config{Catalog: fakeCatalog{}, Sessions: fakeSessions{}, Bridges: fakeBridges{}})
	tests := []struct {
		body   string
		status int
		want   string
	}{
		{`{"run_id":"r1","cookies":[{"name":"sid","domain":"demo.test","path":"/","expires":-1}]}`, 200, `"code":"SESSION_EXPIRED"`},
		{`{"cookies":[]}`, 200, `"detail":"login_form"`},
		{``, 200, `"code":"SESSION_EXPIRED"`},
		{`{"cookies":[{"name":"sid","value":"secret"}]}`, 400, `unknown field`},
		{`{"cookies":[{"name":""}]}`, 400, `cookies[0].name: empty`},
		{`{"cookies":` + strings.Repeat(" ", maxSignedOutBody) + `[]}`, 400, `more than`},
	}
	for _, tt := range tests {
		ans, err := s.Call(context.Background(), "test", apitype.APIRequest{Method: "POST", Path: "/v1/connectors/demo/signed-out", Body: json.RawMessage(tt.body)})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(ans.Body)
		if ans.Status != tt.status || !strings.Contains(string(b), tt.want) {
			t.Errorf("signed-out %.60s = %d %s, want %d with %s", tt.body, ans.Status, b, tt.status, tt.want)
		}
	}
	ans, err := s.Call(context.Background(), "test", apitype.APIRequest{Method: "POST", Path: "/v1/connectors/nope/signed-out"})
	if err != nil || ans.Status != 404 {
		t.Errorf("signed-out of an unknown connector = %d, %v; want 404", ans.Status, err)
	}
}
