package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authbridge/authbridge/host/nativemsg"
)

// ErrNoBridge means no browser extension is connected.
var ErrNoBridge = errors.New("no browser is connected")

// envelope is the part of every message the router looks at.
type envelope struct {
	ID    string          `json:"id,omitempty"`
	Type  string          `json:"type"`
	Error *WireError      `json:"error,omitempty"`
	Res   json.RawMessage `json:"result,omitempty"`
}

// WireError is an error carried in a native message.
type WireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *WireError) Error() string { return e.Code + ": " + e.Message }

// bridge is one relay connection: the extension in one browser profile.
type bridge struct {
	id        string
	origin    string
	relayPID  int
	conn      net.Conn
	w         *nativemsg.Writer
	log       *slog.Logger
	connected time.Time

	mu         sync.Mutex
	pending    map[string]chan envelope
	extID      string
	extVersion string
	userAgent  string
	lastActive time.Time
	profileDir string
	binding    string
	bound      *Binding
	// userDataDirHint is the --user-data-dir of the browser that started
	// the relay, when the relay could tell.
	userDataDirHint string
	// browser is the family the relay said it serves ("chromium", "firefox").
	browser string

	seq    atomic.Uint64
	closed chan struct{}
}

func (b *bridge) info() BridgeInfo {
	b.mu.Lock()
	defer b.mu.Unlock()
	info := BridgeInfo{
		ID: b.id, Origin: b.origin, ExtensionID: b.extID, ExtensionVersion: b.extVersion,
		UserAgent: b.userAgent, RelayPID: b.relayPID, ConnectedAt: b.connected,
		LastActiveAt: b.lastActive, ProfileDir: b.profileDir, Binding: b.binding,
	}
	if b.bound != nil {
		c := *b.bound
		info.BindingDetail = &c
	}
	return info
}

func (b *bridge) touch() {
	b.mu.Lock()
	b.lastActive = time.Now()
	b.mu.Unlock()
}

// call sends a request to the extension and waits for its reply.
func (b *bridge) call(ctx context.Context, typ string, params map[string]any, out any) error {
	id := "h" + strconv.FormatUint(b.seq.Add(1), 10)
	msg := map[string]any{"id": id, "type": typ}
	for k, v := range params {
		msg[k] = v
	}
	ch := make(chan envelope, 1)
	b.mu.Lock()
	b.pending[id] = ch
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
	}()
	if err := b.w.WriteMessage(msg); err != nil {
		return fmt.Errorf("send %s to the extension: %w", typ, err)
	}
	select {
	case env := <-ch:
		if env.Type == "error" {
			if env.Error == nil {
				return &WireError{Code: "internal", Message: "error reply without error"}
			}
			return env.Error
		}
		if out != nil {
			if err := json.Unmarshal(env.Res, out); err != nil {
				return fmt.Errorf("decode %s result: %w", typ, err)
			}
		}
		return nil
	case <-b.closed:
		return fmt.Errorf("%s: %w (the browser disconnected)", typ, ErrNoBridge)
	case <-ctx.Done():
		return fmt.Errorf("%s: the extension did not answer: %w", typ, ctx.Err())
	}
}

// notify sends a message that gets no reply.
func (b *bridge) notify(typ string, params map[string]any) error {
	msg := map[string]any{"type": typ}
	for k, v := range params {
		msg[k] = v
	}
	return b.w.WriteMessage(msg)
}

func (b *bridge) reply(id string, result any, err error) {
	if id == "" {
		return
	}
	var msg any
	if err != nil {
		var we *WireError
		if !errors.As(err, &we) {
			we = &WireError{Code: codeOf(err), Message: err.Error()}
		}
		msg = map[string]any{"id": id, "type": "error", "error": we}
	} else {
		if result == nil {
			result = struct{}{}
		}
		msg = map[string]any{"id": id, "type": "result", "result": result}
	}
	if werr := b.w.WriteMessage(msg); werr != nil {
		b.log.Warn("reply to extension failed", "id", id, "err", werr)
	}
}

// serve reads frames from the relay until the connection ends.
func (a *Agent) serveBridge(b *bridge) {
	defer func() {
		close(b.closed)
		b.conn.Close()
		a.removeBridge(b)
	}()
	r := nativemsg.NewReader(b.conn, nativemsg.MaxInbound)
	var asm nativemsg.Assembler
	for {
		raw, err := r.ReadFrame()
		if err != nil {
			// Only a broken stream ends the bridge: a frame that is too large
			// or cut short leaves no way to find the next one.
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				b.log.Warn("bridge read failed", "err", err)
			}
			return
		}
		b.touch()
		if err := nativemsg.CheckObject(raw); err != nil {
			b.log.Warn("bad frame from extension", "err", err, "bytes", len(raw))
			b.notify("error", map[string]any{"error": WireError{Code: "bad_request", Message: fmt.Sprintf("bad frame (%d bytes): %v", len(raw), err)}})
			continue
		}
		a.handleFrame(b, raw, &asm)
	}
}

func (a *Agent) handleFrame(b *bridge, raw []byte, asm *nativemsg.Assembler) {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		b.log.Warn("bad frame from extension", "err", err)
		return
	}
	switch env.Type {
	case "chunk":
		var c nativemsg.Chunk
		if err := json.Unmarshal(raw, &c); err != nil {
			b.log.Warn("bad chunk", "err", err)
			return
		}
		whole, err := asm.Add(c)
		if err != nil {
			b.log.Warn("bad chunk", "err", err)
			return
		}
		if whole != nil {
			a.handleFrame(b, whole, asm)
		}
		return
	case "result", "error":
		b.mu.Lock()
		ch := b.pending[env.ID]
		b.mu.Unlock()
		if ch != nil {
			ch <- env
		}
		return
	}
	h, ok := a.bridgeHandlers[env.Type]
	if !ok {
		b.log.Warn("unknown message type from extension", "type", env.Type)
		b.reply(env.ID, nil, &WireError{Code: "unknown_type", Message: fmt.Sprintf("unknown message type %q", env.Type)})
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(a.ctx, 2*time.Minute)
		defer cancel()
		res, err := h(ctx, b, raw)
		b.reply(env.ID, res, err)
	}()
}
