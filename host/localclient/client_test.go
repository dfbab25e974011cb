package localclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/safesocket"
	"github.com/authbridge/authbridge/internal/testtmp"
)

func serve(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "la")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := testSocket(dir)
	l, err := safesocket.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return sock
}

func TestDoSendsBodiesAndDecodesErrors(t *testing.T) {
	sock := serve(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/v1/echo":
			w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
			w.Write(b)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"code":"not_found","message":"no such connector","reason":""}}`))
		}
	})
	c := &Client{Socket: sock}
	ctx := context.Background()
	body, ct, err := c.Do(ctx, "POST", "/v1/echo", map[string]int{"a": 1})
	if err != nil || string(body) != `{"a":1}` || ct != "application/json" {
		t.Errorf("JSON body: %q %q %v", body, ct, err)
	}
	lines := []byte("{\"x\":1}\n{\"x\":2}\n")
	body, ct, err = c.Do(ctx, "POST", "/v1/echo", Raw{ContentType: "application/x-ndjson", Data: lines})
	if err != nil || string(body) != string(lines) || ct != "application/x-ndjson" {
		t.Errorf("raw body: %q %q %v", body, ct, err)
	}
	_, _, err = c.Do(ctx, "GET", "/v1/missing", nil)
	var ae *apitype.Error
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Code != "not_found" || ae.Message != "no such connector" {
		t.Errorf("error answer = %#v, want *apitype.Error 404 not_found", err)
	}
}

func TestDoWithNoAgent(t *testing.T) {
	c := &Client{Socket: filepath.Join(testtmp.Dir(t), "none.sock")}
	if _, _, err := c.Do(context.Background(), "GET", "/v1/status", nil); !errors.Is(err, ErrAgentDown) {
		t.Errorf("Do with no agent = %v, want ErrAgentDown", err)
	}
	started := false
	c.Start = func(context.Context) error { started = true; return errors.New("cannot start here") }
	if _, _, err := c.Do(context.Background(), "GET", "/v1/status", nil); !errors.Is(err, ErrAgentDown) || !started {
		t.Errorf("Do with a failing Start = %v (started %v), want ErrAgentDown after trying", err, started)
	}
	started = false
	if err := c.StopAgent(context.Background()); err != nil || started {
		t.Errorf("StopAgent with no agent = %v (started %v), want nil without starting one", err, started)
	}
}

// TestTransportErrorsAreOneSentence is issue 14 item 8: an agent that died
// mid-request gave the CLI a raw "Post …: EOF".
func TestTransportErrorsAreOneSentence(t *testing.T) {
	sock := serve(t, func(w http.ResponseWriter, r *http.Request) {
		// The agent dies mid-request: the connection closes unanswered.
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	c := &Client{Socket: sock}
	_, _, err := c.Do(context.Background(), "POST", "/v1/connectors/demo/verify", map[string]string{})
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v (%T), want a *TransportError", err, err)
	}
	msg := err.Error()
	for _, bad := range []string{"Post", "EOF", "http://", "\n"} {
		if strings.Contains(msg, bad) {
			t.Errorf("the message %q holds the raw transport error (%q)", msg, bad)
		}
	}
	for _, want := range []string{"closed the connection", "POST /v1/connectors/demo/verify", "try again"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the message %q does not say %q", msg, want)
		}
	}
	if !errors.Is(err, io.EOF) {
		t.Errorf("the transport error is not kept for callers: %v", errors.Unwrap(err))
	}
}
