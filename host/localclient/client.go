// Package localclient is the client of the agent's local API (HTTP over the
// user-only Unix socket), and starts the agent on demand when its socket
// does not answer.
package localclient

import (
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
	"syscall"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/safesocket"
)

// Client calls the local API. A zero Client needs only Socket set.
type Client struct {
	// Socket is the agent's API socket path.
	Socket string
	// Start, when set, is called once to start the agent when the socket
	// does not answer.
	Start func(ctx context.Context) error

	hcOnce sync.Once
	hc     *http.Client
}

// MaxConns is how many connections to the agent a Client keeps open for
// reuse: callers making requests at once (a runner's parallel runs, the
// bench's concurrent callers) each keep theirs instead of dialling the
// socket again for every request.
const MaxConns = 64

// ErrAgentDown is returned when the agent's socket does not answer and it
// could not be started.
var ErrAgentDown = errors.New("the authbridge agent is not running")

func (c *Client) http() *http.Client {
	c.hcOnce.Do(func() {
		sock := c.Socket
		c.hc = &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return safesocket.Connect(ctx, sock)
			},
			MaxIdleConns:        MaxConns,
			MaxIdleConnsPerHost: MaxConns,
			IdleConnTimeout:     30 * time.Second,
		}}
	})
	return c.hc
}

// Raw is a request body sent as it is, for bodies that are not one JSON
// value (JSON lines).
type Raw struct {
	ContentType string
	Data        []byte
}

// Do sends a request and returns the raw answer body and content type. The
// body is marshalled as JSON, unless it is a Raw. An API error answer comes
// back as *apitype.Error.
func (c *Client) Do(ctx context.Context, method, path string, body any) ([]byte, string, error) {
	b, h, err := c.DoHeader(ctx, method, path, body)
	if err != nil {
		return nil, "", err
	}
	return b, h.Get("Content-Type"), nil
}

// DoHeader is Do answering the whole header of a successful answer (for
// Authbridge-Notice beside Content-Type).
func (c *Client) DoHeader(ctx context.Context, method, path string, body any) ([]byte, http.Header, error) {
	var data []byte
	contentType := "application/json"
	if r, ok := body.(Raw); ok {
		data, contentType = r.Data, r.ContentType
	} else if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return nil, nil, err
		}
	}
	resp, err := c.send(ctx, method, path, contentType, data)
	if err != nil && method == http.MethodGet && isReset(err) {
		// An agent that was killed can still accept a connection from its
		// backlog before the kernel closes its socket; a read-only request
		// is safe to send again.
		resp, err = c.send(ctx, method, path, contentType, data)
	}
	if err != nil && c.Start != nil && (isDown(err) || (method == http.MethodGet && isReset(err))) {
		if serr := c.Start(ctx); serr != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrAgentDown, serr)
		}
		resp, err = c.send(ctx, method, path, contentType, data)
	}
	if err != nil {
		if isDown(err) {
			return nil, nil, fmt.Errorf("%w (%s)", ErrAgentDown, c.Socket)
		}
		return nil, nil, &TransportError{Method: method, Path: path, Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, &TransportError{Method: method, Path: path, Err: err}
	}
	if resp.StatusCode >= 400 {
		var e apitype.ErrorBody
		if json.Unmarshal(b, &e) == nil && e.Error != nil {
			e.Error.Status = resp.StatusCode
			return nil, nil, e.Error
		}
		return nil, nil, &apitype.Error{Status: resp.StatusCode, Code: apitype.CodeInternal, Message: fmt.Sprintf("%s %s: HTTP %d", method, path, resp.StatusCode)}
	}
	return b, resp.Header, nil
}

// JSON sends a request and decodes a JSON answer into out.
func (c *Client) JSON(ctx context.Context, method, path string, body, out any) error {
	b, _, err := c.Do(ctx, method, path, body)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode %s %s answer: %w", method, path, err)
	}
	return nil
}

func (c *Client) send(ctx context.Context, method, path, contentType string, data []byte) (*http.Response, error) {
	var rd io.Reader
	if data != nil {
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://authbridge"+path, rd)
	if err != nil {
		return nil, err
	}
	if data != nil {
		req.Header.Set("Content-Type", contentType)
	}
	return c.http().Do(req)
}

// TransportError is a request that got no whole answer: the connection
// broke or timed out. Its message is one sentence saying what happened and
// what to do, never the raw transport error (which Unwrap still gives).
type TransportError struct {
	Method, Path string
	Err          error
}

func (e *TransportError) Error() string {
	what := e.Method + " " + e.Path
	switch {
	case errors.Is(e.Err, context.DeadlineExceeded) || errors.Is(e.Err, os.ErrDeadlineExceeded):
		return "the authbridge agent did not answer " + what + " in time: try again, and run `authbridge doctor` if it keeps happening"
	case errors.Is(e.Err, context.Canceled):
		return what + " was cancelled before the authbridge agent answered"
	case isReset(e.Err):
		return "the authbridge agent closed the connection before answering " + what + " (it may have stopped or crashed): try again, and see `authbridge doctor` and the agent log if it keeps happening"
	}
	reason := "an error"
	var errno syscall.Errno
	if errors.As(e.Err, &errno) {
		reason = errno.Error()
	}
	return "the request " + what + " to the authbridge agent failed (" + reason + "): try again, and run `authbridge doctor` if it keeps happening"
}

// Unwrap returns the transport error.
func (e *TransportError) Unwrap() error { return e.Err }

// isReset reports whether the connection broke before an answer came.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.EPIPE)
}

// isDown reports whether err means nothing listens on the socket.
func isDown(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return false
}

// StopAgent asks the running agent to stop: it learns the agent's pid from
// GET /v1/ping and sends it SIGTERM (on Windows, where there are no signals,
// it ends the process). It does nothing when no agent answers.
func (c *Client) StopAgent(ctx context.Context) error {
	var ping apitype.Ping
	saved := c.Start
	c.Start = nil // never start an agent only to stop it
	err := c.JSON(ctx, "GET", "/v1/ping", nil, &ping)
	c.Start = saved
	if err != nil || ping.PID <= 0 {
		return nil
	}
	p, err := os.FindProcess(ping.PID)
	if err != nil {
		return err
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		return p.Kill()
	}
	return nil
}
