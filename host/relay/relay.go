// Package relay is the process the browser (Chrome or Firefox) starts for the
// extension's connectNative port. It checks the caller's origin or gecko id, connects to the agent
// (starting it when needed) and relays whole frames both ways for as long as
// the port is open, reconnecting when the agent restarts.
package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/nativemsg"
	"github.com/authbridge/authbridge/host/safesocket"
)

// Config configures a relay.
type Config struct {
	// Origin is the caller: argv[1], its chrome-extension:// origin, or for
	// Firefox argv[2], its gecko id (see CallerFromArgs).
	Origin string
	// Allowed are the extension origins this host serves.
	Allowed []string
	// BridgeSocket is the agent's bridge socket.
	BridgeSocket string
	// StartAgent starts the agent when its socket does not answer.
	StartAgent func(ctx context.Context) error
	Log        *slog.Logger
	// AgentWriteTimeout bounds writing one frame to the agent (0:
	// DefaultAgentWriteTimeout). An agent that stops reading is dropped and
	// reconnected to, so that the browser's frames keep flowing and the
	// relay still sees stdin close.
	AgentWriteTimeout time.Duration
}

// DefaultAgentWriteTimeout is Config.AgentWriteTimeout's default.
const DefaultAgentWriteTimeout = 10 * time.Second

// ErrOriginNotAllowed is returned for an extension origin not in the list.
var ErrOriginNotAllowed = errors.New("origin not allowed")

// OriginFromArgs returns the chrome-extension:// origin among Chrome's
// arguments (argv[1] on Linux and macOS; Windows adds --parent-window=).
func OriginFromArgs(args []string) string {
	for _, a := range args {
		if strings.HasPrefix(a, "chrome-extension://") {
			return a
		}
	}
	return ""
}

// Run relays between the browser (in, out) and the agent until the browser
// closes the port. It returns nil on a clean end of stdin.
func Run(ctx context.Context, cfg Config, in io.Reader, out io.Writer) error {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	allowed := false
	for _, o := range cfg.Allowed {
		if o == cfg.Origin {
			allowed = true
		}
	}
	if !allowed {
		if IsGeckoCaller(cfg.Origin) {
			return fmt.Errorf("%w: Firefox extension id %q is not one of the extensions this host serves (add it with authbridge install --extension-id)", ErrOriginNotAllowed, cfg.Origin)
		}
		return fmt.Errorf("%w: %q is not one of the extension origins this host serves", ErrOriginNotAllowed, cfg.Origin)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &relay{cfg: cfg, browserOut: nativemsg.NewWriter(out, nativemsg.MaxOutbound), frames: make(chan []byte, 64),
		userDataDir: BrowserUserDataDir()}

	// Frames from the browser are read in their own goroutine so that EOF
	// on stdin ends the relay at once, whatever the agent is doing.
	stdinDone := make(chan error, 1)
	go func() {
		rd := nativemsg.NewReader(in, nativemsg.MaxInbound)
		for {
			b, err := rd.ReadFrame()
			if err != nil {
				stdinDone <- err
				return
			}
			select {
			case r.frames <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	agentDone := make(chan error, 1)
	go func() { agentDone <- r.loop(ctx) }()
	select {
	case err := <-stdinDone:
		cancel()
		r.closeConn()
		if errors.Is(err, io.EOF) {
			cfg.Log.Info("browser closed the port")
			return nil
		}
		return fmt.Errorf("read from browser: %w", err)
	case err := <-agentDone:
		return err
	}
}

type relay struct {
	cfg        Config
	browserOut *nativemsg.Writer
	frames     chan []byte

	userDataDir string // the browser's --user-data-dir, if seen

	mu    sync.Mutex
	conn  net.Conn
	hello []byte // the extension's last hello, replayed to a new agent
}

func (r *relay) closeConn() {
	r.mu.Lock()
	if r.conn != nil {
		r.conn.Close()
	}
	r.mu.Unlock()
}

// replayID marks a hello the relay replays; its reply is not forwarded.
const replayID = "relay-replay"

// loop keeps a connection to the agent and pumps frames until ctx ends.
func (r *relay) loop(ctx context.Context) error {
	backoff := 20 * time.Millisecond
	refusedFor := RefusedBackoff
	var pending []byte // a browser frame not yet delivered
	for ctx.Err() == nil {
		conn, err := r.connect(ctx)
		var refused interface{ AgentRefused() bool }
		if errors.As(err, &refused) && refused.AgentRefused() {
			// Starting it again will not help until the user acts: say why
			// to every request, and try again much later.
			r.cfg.Log.Warn("the agent refuses to start", "err", err, "retry_in", refusedFor)
			r.refuse(ctx, err, refusedFor, pending)
			pending = nil
			refusedFor = min(refusedFor*2, 8*RefusedBackoff)
			continue
		}
		if err != nil {
			r.cfg.Log.Warn("agent unreachable", "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return nil
			}
			backoff = min(backoff*2, 2*time.Second)
			continue
		}
		backoff, refusedFor = 20*time.Millisecond, RefusedBackoff
		r.mu.Lock()
		r.conn = conn
		hello := r.hello
		r.mu.Unlock()
		w := nativemsg.NewWriter(conn, nativemsg.MaxInbound)
		if hello != nil {
			if err := w.WriteFrame(hello); err != nil {
				conn.Close()
				continue
			}
		}
		agentGone := make(chan struct{})
		go func() {
			defer close(agentGone)
			r.agentToBrowser(conn)
		}()
		pending = r.browserToAgent(ctx, w, pending, agentGone)
		conn.Close()
		<-agentGone
		if ctx.Err() == nil {
			r.cfg.Log.Info("agent connection lost; reconnecting")
		}
	}
	return nil
}

// RefusedBackoff is how long the relay waits before starting an agent
// again after one refused to start (for example over an unusable state
// database); it doubles up to eight times that.
var RefusedBackoff = 30 * time.Second

// refuse answers the browser's requests (pending, then every frame that
// arrives for the next wait) with an agent_unavailable error saying why.
func (r *relay) refuse(ctx context.Context, why error, wait time.Duration, pending []byte) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		if pending != nil {
			r.noteHello(pending)
			r.answerError(pending, why)
			pending = nil
		}
		select {
		case pending = <-r.frames:
		case <-timer.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// answerError replies to a browser request with agent_unavailable; a
// notification or reply gets nothing.
func (r *relay) answerError(frame []byte, why error) {
	var env struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	if json.Unmarshal(frame, &env) != nil || env.ID == "" || env.Type == "result" || env.Type == "error" {
		return
	}
	reply, _ := json.Marshal(map[string]any{"id": env.ID, "type": "error", "error": map[string]string{
		"code": apitype.CodeAgentUnavailable, "message": why.Error(), "detail": "agent_refused"}})
	if err := r.browserOut.WriteFrame(reply); err != nil {
		r.cfg.Log.Warn("write to browser failed", "err", err)
	}
}

func (r *relay) connect(ctx context.Context) (net.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	conn, err := safesocket.Connect(dctx, r.cfg.BridgeSocket)
	cancel()
	if err != nil && r.cfg.StartAgent != nil {
		if serr := r.cfg.StartAgent(ctx); serr != nil {
			return nil, serr
		}
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err = safesocket.Connect(dctx, r.cfg.BridgeSocket)
		cancel()
	}
	if err != nil {
		return nil, err
	}
	browser := "chromium"
	if IsGeckoCaller(r.cfg.Origin) {
		browser = "firefox"
	}
	hello, _ := json.Marshal(apitype.BridgeHello{Type: apitype.TypeBridgeHello, Origin: r.cfg.Origin, RelayPID: os.Getpid(), Protocol: 1,
		UserDataDir: r.userDataDir, Browser: browser})
	if err := nativemsg.NewWriter(conn, 0).WriteFrame(hello); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// browserToAgent forwards browser frames until the agent connection fails
// or ctx ends; it returns a frame that could not be delivered, to retry on
// the next connection.
func (r *relay) browserToAgent(ctx context.Context, w *nativemsg.Writer, pending []byte, agentGone <-chan struct{}) []byte {
	for {
		if pending == nil {
			select {
			case pending = <-r.frames:
			case <-agentGone:
				return nil
			case <-ctx.Done():
				return nil
			}
		}
		r.noteHello(pending)
		timeout := r.cfg.AgentWriteTimeout
		if timeout <= 0 {
			timeout = DefaultAgentWriteTimeout
		}
		r.mu.Lock()
		conn := r.conn
		r.mu.Unlock()
		if conn != nil {
			conn.SetWriteDeadline(time.Now().Add(timeout))
		}
		if err := w.WriteFrame(pending); err != nil {
			r.cfg.Log.Warn("agent is not reading; reconnecting", "err", err)
			return pending
		}
		pending = nil
	}
}

// noteHello remembers the extension's hello (with a replay id) so that a
// restarted agent learns who is connected without the extension noticing.
func (r *relay) noteHello(frame []byte) {
	var env apitype.Envelope
	if json.Unmarshal(frame, &env) != nil || env.Type != apitype.TypeHello {
		return
	}
	var m map[string]any
	if json.Unmarshal(frame, &m) != nil {
		return
	}
	m["id"] = replayID
	b, err := json.Marshal(m)
	if err != nil {
		return
	}
	r.mu.Lock()
	r.hello = b
	r.mu.Unlock()
}

// agentToBrowser copies the agent's frames to stdout, dropping replies to
// replayed hellos.
func (r *relay) agentToBrowser(conn net.Conn) {
	rd := nativemsg.NewReader(conn, nativemsg.MaxOutbound)
	for {
		b, err := rd.ReadFrame()
		if err != nil {
			return
		}
		var env apitype.Envelope
		if json.Unmarshal(b, &env) == nil {
			if env.ID == replayID {
				continue
			}
			if env.ID == "" && env.Type == apitype.TypeError && env.Error != nil && env.Error.Code == apitype.CodeOriginNotAllowed {
				r.cfg.Log.Warn("agent refused this origin")
			}
		}
		if err := r.browserOut.WriteFrame(b); err != nil {
			r.cfg.Log.Warn("write to browser failed", "err", err)
			return
		}
	}
}
