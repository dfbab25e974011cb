// Package localapi is the server of the agent's local API: HTTP over the
// user-only Unix socket, and the same routes for the popup through the
// extension's `api` message. Each handler checks the caller, then the
// parameters, and answers errors as JSON (apitype.Error). Its client is
// host/localclient.
package localapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/procinfo"
	"github.com/authbridge/authbridge/host/safesocket"
	"github.com/authbridge/authbridge/host/session"
)

// HandlerFunc is the shape of every route: it returns a value to marshal as
// JSON (or a Raw body), or an error.
type HandlerFunc = func(ctx context.Context, r *http.Request) (any, error)

// Raw is a handler result written as it is.
type Raw struct {
	ContentType string
	Body        []byte
	// Notice, when set, is one sentence about an answer that is correct but
	// probably not what the caller hoped for (an empty cookie set), sent as
	// the Authbridge-Notice header beside NoticeCode (Authbridge-Notice-Code).
	Notice, NoticeCode string
}

// Stream is a handler result that writes a long answer (server-sent
// events) as it goes: Run writes to w, calling flush after each event, until
// ctx ends (the caller went away) or it returns. It is served on the socket
// only; the extension's `api` message gets bad_request.
type Stream struct {
	ContentType string
	Run         func(ctx context.Context, w io.Writer, flush func()) error
}

// Catalog is the set of connector definitions.
type Catalog interface {
	Connector(id string) (connector.Definition, error)
	Connectors() ([]connector.Definition, []apitype.Problem)
}

// Sessions runs the connector actions (session.Manager).
type Sessions interface {
	Rows(ctx context.Context, all bool) ([]apitype.StatusRow, error)
	Verify(ctx context.Context, def connector.Definition, runID string) (apitype.ActionResult, error)
	Repair(ctx context.Context, def connector.Definition, runID string) (apitype.ActionResult, error)
	// SignInConnector is repair with in_connector_browser.
	SignInConnector(ctx context.Context, def connector.Definition, runID string, timeout time.Duration) (apitype.ActionResult, error)
	Clear(ctx context.Context, def connector.Definition) (apitype.ClearResult, error)
	Interactive(ctx context.Context, def connector.Definition, runID string) (apitype.InteractiveResult, error)
	LiveCookies(ctx context.Context, def connector.Definition) ([]apitype.Cookie, error)
	RecordRelease(ctx context.Context, def connector.Definition, n int, format string) error
}

// Bridges tells about the connected browsers (the agent).
type Bridges interface {
	Bridges() []apitype.BridgeInfo
	LastBridgeSeen(ctx context.Context) (time.Time, error)
}

// Config configures a Server.
type Config struct {
	Agent    func() apitype.AgentInfo
	Catalog  Catalog
	Sessions Sessions
	Bridges  Bridges
	// Extra adds routes ("METHOD /v1/path": handler).
	Extra map[string]HandlerFunc
	// BodyGrace and BodyRate bound how slowly a request body may arrive
	// (0: DefaultBodyGrace, DefaultBodyRate); see pacedBody.
	BodyGrace time.Duration
	BodyRate  int64
	// Busy is called when a request starts and returns the function to call
	// when it ends (the agent's idle clock); nil: nothing.
	Busy func() (done func())
}

// Server answers the local API.
type Server struct {
	cfg Config
	mux *http.ServeMux
}

// New returns a server with the built-in routes and cfg.Extra (an extra
// route replaces a built-in one of the same pattern).
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	table := map[string]HandlerFunc{
		"GET /v1/ping":                         s.ping,
		"GET /v1/status":                       s.status,
		"GET /v1/connectors":                   s.connectors,
		"GET /v1/bridges/last-seen":            s.lastSeen,
		"GET /v1/connectors/{id}/cookies":      s.cookies,
		"POST /v1/connectors/{id}/verify":      s.verify,
		"POST /v1/connectors/{id}/repair":      s.repair,
		"POST /v1/connectors/{id}/interactive": s.interactive,
		"POST /v1/connectors/{id}/clear":       s.clear,
		"POST /v1/connectors/{id}/signed-out":  s.signedOut,
	}
	for p, h := range cfg.Extra {
		table[p] = h
	}
	for p, h := range table {
		s.mux.Handle(p, route(h))
	}
	return s
}

// route is a handler as the mux holds it: serving it only hands the
// handler and the request (with its path values set) back to match.
type route HandlerFunc

func (h route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m, ok := w.(*matched); ok {
		m.h, m.r = HandlerFunc(h), r
	}
}

// matched receives the mux's choice; the mux's own 404, 405 and redirect
// answers written to it are dropped (the API answers those in JSON).
type matched struct {
	h      HandlerFunc
	r      *http.Request
	header http.Header
}

func (m *matched) Header() http.Header {
	if m.header == nil {
		m.header = http.Header{}
	}
	return m.header
}
func (m *matched) Write(b []byte) (int, error) { return len(b), nil }
func (m *matched) WriteHeader(int)             {}

// dispatch runs a request's handler. A path no route has, or one asked
// with another method (HEAD included), is 404 no such API.
func (s *Server) dispatch(ctx context.Context, r *http.Request) (any, error) {
	if s.cfg.Busy != nil {
		defer s.cfg.Busy()()
	}
	m := &matched{}
	if r.Method != http.MethodHead {
		s.mux.ServeHTTP(m, r)
	}
	if m.h == nil {
		return nil, &apitype.Error{Status: http.StatusNotFound, Code: apitype.CodeNotFound, Message: fmt.Sprintf("no such API: %s %s", r.Method, r.URL.Path)}
	}
	return m.h(ctx, m.r)
}

type peerKey struct{}

// processKey holds the connection's func() procinfo.Process.
type processKey struct{}

// Request bodies must arrive at a reasonable pace (PROTOCOL.md, "Request
// bodies"): the time the server spends waiting for body bytes may not
// exceed DefaultBodyGrace plus one second per DefaultBodyRate bytes
// received. A body sent a byte a second is cut after about 30 s, while a
// large batch sent at socket speed is never cut, however long the handler
// takes to process what it has read.
const (
	DefaultBodyGrace = 30 * time.Second
	DefaultBodyRate  = 64 << 10 // bytes per second
)

// ErrBodyTooSlow is what reading a body that arrives too slowly returns.
var ErrBodyTooSlow = &apitype.Error{Status: http.StatusRequestTimeout, Code: apitype.CodeTimeout,
	Message: "the request body arrived too slowly and was cut: send it at once (see PROTOCOL.md, Request bodies)"}

// pacedBody enforces the body pace on one request through the
// connection's read deadline.
type pacedBody struct {
	io.ReadCloser
	rc     *http.ResponseController
	grace  time.Duration
	rate   int64
	n      int64
	waited time.Duration
}

func (p *pacedBody) budgetLeft() time.Duration {
	return p.grace + time.Duration(p.n)*time.Second/time.Duration(p.rate) - p.waited
}

func (p *pacedBody) Read(b []byte) (int, error) {
	left := p.budgetLeft()
	if left <= 0 {
		return 0, ErrBodyTooSlow
	}
	start := time.Now()
	p.rc.SetReadDeadline(start.Add(left))
	n, err := p.ReadCloser.Read(b)
	p.waited += time.Since(start)
	p.n += int64(n)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		err = ErrBodyTooSlow
	}
	return n, err
}

// RefuseOtherUser answers a connection from another user with the API's
// 403 forbidden JSON, then closes it (for safesocket.ListenRefusing). It
// reads the request head first and, after the answer, drains what the
// caller still sends, both bounded in time and size, so that closing does
// not reset the connection before the answer is read.
func RefuseOtherUser(c net.Conn, peer safesocket.Cred) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(io.LimitReader(c, 64<<10))
	http.ReadRequest(br)
	body, _ := json.Marshal(apitype.ErrorBody{Error: &apitype.Error{Code: apitype.CodeForbidden,
		Message: fmt.Sprintf("the local API answers its own user only (you are uid %d)", peer.UID)}})
	fmt.Fprintf(c, "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	io.Copy(io.Discard, io.LimitReader(c, 16<<20))
}

// Serve answers the API on l until it is closed; the returned function
// shuts the server down.
func (s *Server) Serve(l net.Listener) (shutdown func(ctx context.Context) error) {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if cred, ok := safesocket.PeerOf(c); ok {
				// Who is at the other end is asked of the OS once per
				// connection, when a release needs it.
				ctx = context.WithValue(ctx, processKey{}, sync.OnceValue(func() procinfo.Process { return procinfo.Describe(cred.PID) }))
				return context.WithValue(ctx, peerKey{}, cred)
			}
			return ctx
		},
	}
	go srv.Serve(l)
	return srv.Shutdown
}

// ServeHTTP answers one request from the socket: only the own user may ask.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	caller := session.Caller{UID: os.Getuid(), Via: "api"}
	if cred, ok := ctx.Value(peerKey{}).(safesocket.Cred); ok {
		if cred.UID != os.Getuid() {
			writeJSON(w, http.StatusForbidden, apitype.ErrorBody{Error: &apitype.Error{Code: apitype.CodeForbidden, Message: "the local API answers its own user only"}})
			return
		}
		caller.PID, caller.UID = cred.PID, cred.UID
		caller.Process, _ = ctx.Value(processKey{}).(func() procinfo.Process)
	}
	if r.Body != nil && r.Body != http.NoBody {
		p := &pacedBody{ReadCloser: r.Body, rc: http.NewResponseController(w), grace: s.cfg.BodyGrace, rate: s.cfg.BodyRate}
		if p.grace <= 0 {
			p.grace = DefaultBodyGrace
		}
		if p.rate <= 0 {
			p.rate = DefaultBodyRate
		}
		// Bound the body even when the handler never reads it (the server
		// drains it after the handler).
		p.rc.SetReadDeadline(time.Now().Add(p.grace))
		r.Body = p
	}
	res, err := s.dispatch(session.WithCaller(ctx, caller), r)
	if err != nil {
		ae := toError(err)
		writeJSON(w, ae.Status, apitype.ErrorBody{Error: ae})
		return
	}
	if rb, ok := res.(Raw); ok {
		w.Header().Set("Content-Type", rb.ContentType)
		if rb.Notice != "" {
			w.Header().Set("Authbridge-Notice", rb.Notice)
			w.Header().Set("Authbridge-Notice-Code", rb.NoticeCode)
		}
		w.Write(rb.Body)
		return
	}
	if st, ok := res.(Stream); ok {
		s.serveStream(ctx, w, st)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// Call answers an `api` message from the extension (via names the bridge)
// with the same routes, without going through HTTP.
func (s *Server) Call(ctx context.Context, via string, m apitype.APIRequest) (apitype.APIAnswer, error) {
	if m.Method == "" || len(m.Path) == 0 || m.Path[0] != '/' {
		return apitype.APIAnswer{}, &apitype.Error{Code: apitype.CodeBadRequest, Message: "api: method and an absolute path are required"}
	}
	var body io.Reader
	if len(m.Body) > 0 && string(m.Body) != "null" {
		body = bytes.NewReader(m.Body)
	}
	ctx = session.WithCaller(ctx, session.Caller{UID: os.Getuid(), Via: "extension:" + via})
	r, err := http.NewRequestWithContext(ctx, m.Method, "http://authbridge"+m.Path, body)
	if err != nil {
		return apitype.APIAnswer{}, &apitype.Error{Code: apitype.CodeBadRequest, Message: "api: " + err.Error()}
	}
	res, err := s.dispatch(ctx, r)
	if err != nil {
		ae := toError(err)
		return apitype.APIAnswer{Status: ae.Status, Body: apitype.ErrorBody{Error: ae}}, nil
	}
	if _, ok := res.(Stream); ok {
		return apitype.APIAnswer{Status: http.StatusBadRequest, Body: apitype.ErrorBody{Error: &apitype.Error{Status: http.StatusBadRequest, Code: apitype.CodeBadRequest, Message: "api: " + m.Path + " is a stream, served on the local socket only"}}}, nil
	}
	if rb, ok := res.(Raw); ok {
		if json.Valid(rb.Body) {
			return apitype.APIAnswer{Status: http.StatusOK, Body: json.RawMessage(rb.Body)}, nil
		}
		return apitype.APIAnswer{Status: http.StatusOK, Body: string(rb.Body)}, nil
	}
	return apitype.APIAnswer{Status: http.StatusOK, Body: res}, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// CodeOf maps an error to its stable wire code: the one place codes are
// attached to errors leaving the process.
func CodeOf(err error) string {
	var ae *apitype.Error
	switch {
	case errors.As(err, &ae):
		return ae.Code
	case errors.Is(err, session.ErrNoBrowser):
		return apitype.CodeBrowserNotConnected
	case errors.Is(err, session.ErrUnknownConnector):
		return apitype.CodeNotFound
	case errors.Is(err, context.DeadlineExceeded):
		return apitype.CodeTimeout
	}
	return apitype.CodeInternal
}

// toError turns any handler error into the API's error answer.
func toError(err error) *apitype.Error {
	var ae *apitype.Error
	if errors.As(err, &ae) {
		e := *ae
		if e.Status == 0 {
			e.Status = apitype.HTTPStatus(e.Code)
		}
		if error(ae) != err {
			e.Message = err.Error() // keep the context the error was wrapped in
		}
		return &e
	}
	code := CodeOf(err)
	e := &apitype.Error{Status: apitype.HTTPStatus(code), Code: code, Message: err.Error()}
	if code == apitype.CodeBrowserNotConnected {
		e.Message = apitype.NoBrowserMessage
		e.Reason = "UNKNOWN"
	}
	return e
}

// BadRequest is a 400 answer naming what was wrong.
func BadRequest(format string, args ...any) error {
	return &apitype.Error{Status: http.StatusBadRequest, Code: apitype.CodeBadRequest, Message: fmt.Sprintf(format, args...)}
}
