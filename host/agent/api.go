package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/authbridge/authbridge/host/cookies"
	"github.com/authbridge/authbridge/host/safesocket"
	"github.com/authbridge/authbridge/host/store"
)

// APIError is an error answer of the local API.
type APIError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Reason  string `json:"reason,omitempty"`
}

func (e *APIError) Error() string { return e.Message }

// codeOf maps an error to its stable wire code; the one place codes are
// attached to errors leaving the process.
func codeOf(err error) string {
	var ae *APIError
	var we *WireError
	switch {
	case errors.As(err, &ae):
		return ae.Code
	case errors.As(err, &we):
		return we.Code
	case errors.Is(err, ErrNoBridge):
		return "browser_not_connected"
	case errors.Is(err, ErrUnknownConnector):
		return "not_found"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "internal"
}

var httpStatus = map[string]int{
	"bad_request":           http.StatusBadRequest,
	"not_found":             http.StatusNotFound,
	"browser_not_connected": http.StatusServiceUnavailable,
	"timeout":               http.StatusGatewayTimeout,
	"unknown_type":          http.StatusBadRequest,
	"internal":              http.StatusInternalServerError,
}

func toAPIError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		if ae.Status == 0 {
			ae.Status = httpStatus[ae.Code]
		}
		return ae
	}
	code := codeOf(err)
	e := &APIError{Status: httpStatus[code], Code: code, Message: err.Error()}
	if e.Status == 0 {
		e.Status = http.StatusInternalServerError
	}
	if code == "browser_not_connected" {
		e.Message = NoBrowserMessage
		e.Reason = "UNKNOWN"
	}
	return e
}

// NoBrowserMessage is the one sentence shown when live cookies are needed
// and no browser is connected.
const NoBrowserMessage = "no browser is connected to authbridge: open Chrome (or Chromium) with the authbridge extension installed, then try again"

func badRequest(format string, args ...any) error {
	return &APIError{Status: http.StatusBadRequest, Code: "bad_request", Message: fmt.Sprintf(format, args...)}
}

// HandlerFunc is the shape of every API handler: it returns a value to
// marshal as JSON, or an error.
type HandlerFunc func(ctx context.Context, r *http.Request) (any, error)

// rawBody is a handler result written as is.
type rawBody struct {
	contentType string
	body        []byte
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func (a *Agent) handle(h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cred, ok := r.Context().Value(peerKey{}).(safesocket.Cred); ok && cred.UID != os.Getuid() {
			writeJSON(w, http.StatusForbidden, map[string]any{"error": APIError{Code: "forbidden", Message: "the local API answers its own user only"}})
			return
		}
		res, err := h(r.Context(), r)
		if err != nil {
			ae := toAPIError(err)
			writeJSON(w, ae.Status, map[string]any{"error": ae})
			return
		}
		if rb, ok := res.(rawBody); ok {
			w.Header().Set("Content-Type", rb.contentType)
			w.Write(rb.body)
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
}

func (a *Agent) routes() http.Handler {
	mux := http.NewServeMux()
	table := map[string]HandlerFunc{
		"GET /v1/ping":                         a.apiPing,
		"GET /v1/status":                       a.apiStatus,
		"GET /v1/connectors":                   a.apiConnectors,
		"GET /v1/bridges/last-seen":            a.apiLastSeen,
		"GET /v1/connectors/{id}/cookies":      a.apiCookies,
		"POST /v1/connectors/{id}/verify":      a.apiVerify,
		"POST /v1/connectors/{id}/repair":      a.apiRepair,
		"POST /v1/connectors/{id}/interactive": a.apiInteractive,
		"POST /v1/connectors/{id}/clear":       a.apiClear,
	}
	for pattern, h := range a.extraRoutes() {
		table[pattern] = h
	}
	for pattern, h := range table {
		mux.Handle(pattern, a.handle(h))
	}
	mux.Handle("/", a.handle(func(ctx context.Context, r *http.Request) (any, error) {
		return nil, &APIError{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf("no such API: %s %s", r.Method, r.URL.Path)}
	}))
	return mux
}

func (a *Agent) apiLastSeen(ctx context.Context, r *http.Request) (any, error) {
	if len(a.Bridges()) > 0 {
		return map[string]any{"last_seen_at": time.Now()}, nil
	}
	t, err := a.store.LastBridgeSeen(ctx)
	if err != nil {
		return nil, err
	}
	if t.IsZero() {
		return map[string]any{"last_seen_at": nil}, nil
	}
	return map[string]any{"last_seen_at": t}, nil
}

func (a *Agent) apiPing(ctx context.Context, r *http.Request) (any, error) {
	return map[string]any{"pid": os.Getpid(), "version": a.cfg.Version}, nil
}

// caller describes who asked, for the audit row.
func caller(ctx context.Context) (pid, uid int, via string) {
	if v, ok := ctx.Value(viaBridgeKey{}).(string); ok {
		return 0, os.Getuid(), "extension:" + v
	}
	if cred, ok := ctx.Value(peerKey{}).(safesocket.Cred); ok {
		return cred.PID, cred.UID, "api"
	}
	return 0, os.Getuid(), "api"
}

type viaBridgeKey struct{}

func (a *Agent) apiCookies(ctx context.Context, r *http.Request) (any, error) {
	def, err := a.Connector(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	name := q.Get("format")
	if name == "" {
		name = "playwright"
	}
	f, err := cookies.ParseFormat(name)
	if err != nil {
		return nil, badRequest("format: %v", err)
	}
	opts := cookies.Options{URL: q.Get("url"), Now: time.Now()}
	if f == cookies.FormatHeader && opts.URL == "" {
		return nil, badRequest("format header needs url: the Cookie header depends on the URL it is sent to")
	}
	cs, err := a.LiveCookies(ctx, def)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := cookies.Encode(&buf, f, cs, opts); err != nil {
		return nil, badRequest("%v", err)
	}
	pid, uid, via := caller(ctx)
	if err := a.store.RecordRelease(ctx, store.Release{At: time.Now(), ConnectorID: def.ID, CallerPID: pid, CallerUID: uid, Count: len(cs), Format: f.String(), Via: via}); err != nil {
		return nil, fmt.Errorf("record cookie release: %w", err)
	}
	ct := "application/json"
	if f == cookies.FormatNetscape || f == cookies.FormatHeader {
		ct = "text/plain; charset=utf-8"
	}
	return rawBody{contentType: ct, body: buf.Bytes()}, nil
}

// handleAPI answers an `api` message from the extension with the same
// handlers as the socket.
func (a *Agent) handleAPI(ctx context.Context, b *bridge, raw json.RawMessage) (any, error) {
	var m struct {
		Method string          `json:"method"`
		Path   string          `json:"path"`
		Body   json.RawMessage `json:"body"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, &WireError{Code: "bad_request", Message: "api: " + err.Error()}
	}
	if m.Method == "" || len(m.Path) == 0 || m.Path[0] != '/' {
		return nil, &WireError{Code: "bad_request", Message: "api: method and an absolute path are required"}
	}
	var body *bytes.Reader
	if len(m.Body) > 0 && string(m.Body) != "null" {
		body = bytes.NewReader(m.Body)
	} else {
		body = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, viaBridgeKey{}, b.id[:8]), m.Method, "http://authbridge"+m.Path, body)
	if err != nil {
		return nil, &WireError{Code: "bad_request", Message: "api: " + err.Error()}
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	a.countActive(a.api).ServeHTTP(rec, req)
	var out any = json.RawMessage(rec.body.Bytes())
	if !json.Valid(rec.body.Bytes()) {
		out = rec.body.String()
	}
	return map[string]any{"status": rec.status, "body": out}, nil
}

// recorder is an in-memory http.ResponseWriter.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(s int) {
	if !r.wrote {
		r.status, r.wrote = s, true
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
