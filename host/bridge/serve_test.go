package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/nativemsg"
	"github.com/authbridge/authbridge/host/session"
)

// pipe serves a Conn on one end of a pipe with routes; the test plays the
// extension on the other end.
func pipe(t *testing.T, routes Routes) (*Conn, *nativemsg.Reader, *nativemsg.Writer, <-chan struct{}) {
	t.Helper()
	agentSide, ext := net.Pipe()
	t.Cleanup(func() { ext.Close() })
	c := New(agentSide, slog.New(slog.DiscardHandler))
	served := make(chan struct{})
	go func() { c.Serve(context.Background(), routes); close(served) }()
	return c, nativemsg.NewReader(ext, nativemsg.MaxInbound), nativemsg.NewWriter(ext, nativemsg.MaxOutbound), served
}

func readMap(t *testing.T, r *nativemsg.Reader) map[string]any {
	t.Helper()
	raw, err := r.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCallMatchesItsReply(t *testing.T) {
	c, r, w, _ := pipe(t, Routes{})
	got := make(chan error, 1)
	var res apitype.TabsOpenResult
	go func() { got <- c.Call(context.Background(), apitype.TabsOpen{URL: "http://demo.test/"}, &res) }()
	req := readMap(t, r)
	if req["type"] != "tabs.open" || req["url"] != "http://demo.test/" {
		t.Fatalf("request %v", req)
	}
	// A reply to an id nobody asked is dropped; the right one is taken.
	w.WriteMessage(map[string]any{"id": "nobody", "type": "result", "result": map[string]any{"tab_id": 1}})
	w.WriteMessage(map[string]any{"id": req["id"], "type": "result", "result": map[string]any{"tab_id": 7}})
	if err := <-got; err != nil || res.TabID != 7 {
		t.Fatalf("Call = %v, tab %d; want tab 7", err, res.TabID)
	}
}

func TestCallEndsWithTheConnection(t *testing.T) {
	c, r, _, served := pipe(t, Routes{})
	got := make(chan error, 1)
	go func() { got <- c.Call(context.Background(), apitype.TabsOpen{URL: "http://demo.test/"}, nil) }()
	readMap(t, r)
	c.Close()
	<-served
	if err := <-got; !errors.Is(err, session.ErrNoBrowser) {
		t.Fatalf("Call after the connection ended = %v, want session.ErrNoBrowser", err)
	}
}

func TestServeRoutesMessages(t *testing.T) {
	inline := make(chan string, 1)
	_, r, w, _ := pipe(t, Routes{
		Inline: map[string]func([]byte){"cookies.stale": func(raw []byte) { inline <- string(raw) }},
		Handlers: map[string]Handler{"hello": func(ctx context.Context, raw json.RawMessage) (any, error) {
			return map[string]any{"ok": true}, nil
		}},
	})
	tests := []struct {
		name string
		msg  map[string]any
		want func(m map[string]any) bool
	}{
		{"handler", map[string]any{"id": "e1", "type": "hello"},
			func(m map[string]any) bool { return m["id"] == "e1" && m["type"] == "result" }},
		{"unknown type", map[string]any{"id": "e2", "type": "nope"},
			func(m map[string]any) bool {
				return m["type"] == "error" && m["error"].(map[string]any)["code"] == apitype.CodeUnknownType
			}},
		{"non-string id", map[string]any{"id": 5, "type": "hello"},
			func(m map[string]any) bool {
				return m["id"] == float64(5) && m["error"].(map[string]any)["code"] == apitype.CodeBadRequest
			}},
		{"non-string type", map[string]any{"id": "e3", "type": 1},
			func(m map[string]any) bool {
				return m["id"] == "e3" && m["error"].(map[string]any)["code"] == apitype.CodeBadRequest
			}},
	}
	for _, tt := range tests {
		w.WriteMessage(tt.msg)
		if m := readMap(t, r); !tt.want(m) {
			t.Errorf("%s: answered %v", tt.name, m)
		}
	}
	w.WriteMessage(map[string]any{"type": "cookies.stale", "domains": [][]string{{"demo.test"}}})
	select {
	case raw := <-inline:
		if !json.Valid([]byte(raw)) {
			t.Errorf("inline handler got %q", raw)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the inline handler was not called")
	}
}
