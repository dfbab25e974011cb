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

	"github.com/authbridge/authbridge/host/access"
	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/localapi"
	"github.com/authbridge/authbridge/host/nativemsg"
)

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
	pending    map[string]chan apitype.Envelope
	extID      string
	extVersion string
	userAgent  string
	acceptLang string
	lastActive time.Time
	profileDir string
	binding    string
	bound      *apitype.Binding
	// userDataDirHint is the --user-data-dir of the browser that started
	// the relay, when the relay could tell.
	userDataDirHint string
	// browser is the family the relay said it serves ("chromium", "firefox").
	browser string
	// index is the extension's answer to the last watch.set.
	index *apitype.WatchSetResult
	// answers are the last full cookies.get answers, by store and domains
	// (getCookies).
	answers map[string]lastAnswer
	// staleGen counts the cookies.stale frames read (applyStale).
	staleGen uint64
	// origins are the host permissions the browser grants the extension
	// (hello, access.changed); originsKnown is false for an extension that
	// does not say (it then enforces its own grants alone).
	origins      []string
	originsKnown bool

	seq    atomic.Uint64
	closed chan struct{}
}

func (b *bridge) info() apitype.BridgeInfo {
	b.mu.Lock()
	defer b.mu.Unlock()
	info := apitype.BridgeInfo{
		ID: b.id, Origin: b.origin, ExtensionID: b.extID, ExtensionVersion: b.extVersion,
		UserAgent: b.userAgent, AcceptLanguage: b.acceptLang, RelayPID: b.relayPID, ConnectedAt: b.connected,
		LastActiveAt: b.lastActive, ProfileDir: b.profileDir, Binding: b.binding,
	}
	if b.bound != nil {
		c := *b.bound
		info.BindingDetail = &c
	}
	if b.index != nil {
		ix := *b.index
		info.Index = &ix
	}
	return info
}

// missing returns the domains the browser does not grant this bridge's
// extension; none when the extension did not say.
func (b *bridge) missing(domains []string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.originsKnown {
		return nil
	}
	return access.Missing(b.origins, domains)
}

func (b *bridge) touch() {
	b.mu.Lock()
	b.lastActive = time.Now()
	b.mu.Unlock()
}

// call sends a request to the extension and waits for its reply.
func (b *bridge) call(ctx context.Context, req apitype.Request, out any) error {
	typ := req.MessageType()
	id := "h" + strconv.FormatUint(b.seq.Add(1), 10)
	msg, err := message(id, req)
	if err != nil {
		return err
	}
	ch := make(chan apitype.Envelope, 1)
	b.mu.Lock()
	b.pending[id] = ch
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
	}()
	if err := b.w.WriteJSON(msg); err != nil {
		return fmt.Errorf("send %s to the extension: %w", typ, err)
	}
	select {
	case env := <-ch:
		if env.Type == apitype.TypeError {
			if env.Error == nil {
				return &apitype.Error{Code: apitype.CodeInternal, Message: "error reply without error"}
			}
			return env.Error
		}
		if out != nil {
			if err := json.Unmarshal(env.Result, out); err != nil {
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

// message encodes a typed request as one native message: its fields with
// "type" (and "id" when it is a request, not a notification) beside them.
func message(id string, req apitype.Request) ([]byte, error) {
	body, err := json.Marshal(req)
	if err != nil || len(body) < 2 || body[0] != '{' {
		return nil, fmt.Errorf("encode %s: not a JSON object: %v", req.MessageType(), err)
	}
	head, _ := json.Marshal(req.MessageType())
	out := []byte(`{"type":`)
	out = append(out, head...)
	if id != "" {
		out = append(out, `,"id":"`+id+`"`...)
	}
	if len(body) > 2 {
		out = append(out, ',')
	}
	return append(out, body[1:]...), nil
}

// notify sends a message that gets no reply.
func (b *bridge) notify(req apitype.Request) error {
	msg, err := message("", req)
	if err != nil {
		return err
	}
	return b.w.WriteJSON(msg)
}

func (b *bridge) reply(id string, result any, err error) {
	if id == "" {
		return
	}
	var msg any
	if err != nil {
		var we *apitype.Error
		if !errors.As(err, &we) {
			we = &apitype.Error{Code: localapi.CodeOf(err), Message: err.Error()}
		}
		msg = map[string]any{"id": id, "type": apitype.TypeError, "error": we}
	} else {
		if result == nil {
			result = struct{}{}
		}
		msg = map[string]any{"id": id, "type": apitype.TypeResult, "result": result}
	}
	if werr := b.w.WriteMessage(msg); werr != nil {
		b.log.Warn("reply to extension failed", "id", id, "err", werr)
	}
}

// idOf decodes a string id; any other value gives "".
func idOf(raw json.RawMessage) string {
	var id string
	if json.Unmarshal(raw, &id) != nil {
		return ""
	}
	return id
}

// deliver hands a reply to the call waiting for it without ever blocking the
// reader: the waiter is removed as the reply is handed over, so a second
// reply to the same id, or one to an id nobody asked, is dropped with one
// log line.
func (b *bridge) deliver(env apitype.Envelope) {
	b.mu.Lock()
	ch := b.pending[env.ID]
	delete(b.pending, env.ID)
	b.mu.Unlock()
	if ch == nil {
		b.log.Warn("reply to an unknown or already answered id dropped", "id", truncateID(env.ID), "type", env.Type)
		return
	}
	select {
	case ch <- env:
	default:
		// ch has room for one reply and only deliver sends on it; this is
		// unreachable unless that changes, and must still not block.
		b.log.Warn("reply dropped: its waiter already has one", "id", truncateID(env.ID))
	}
}

// truncateID keeps a hostile id from flooding the log.
func truncateID(id string) string {
	if len(id) > 64 {
		return id[:64] + "…"
	}
	return id
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
			b.w.WriteMessage(map[string]any{"type": apitype.TypeError, "error": apitype.Error{Code: apitype.CodeBadRequest, Message: fmt.Sprintf("bad frame (%d bytes): %v", len(raw), err)}})
			continue
		}
		a.handleFrame(b, raw, &asm)
	}
}

func (a *Agent) handleFrame(b *bridge, raw []byte, asm *nativemsg.Assembler) {
	var head struct {
		ID   json.RawMessage `json:"id"`
		Type json.RawMessage `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		b.log.Warn("bad frame from extension", "err", err)
		return
	}
	if len(head.ID) > 0 && head.ID[0] != '"' && string(head.ID) != "null" {
		// A reply must carry the id it answers; echo the caller's own value
		// (it is valid JSON) so that a client keyed on it sees the refusal.
		b.log.Warn("frame with a non-string id", "id_bytes", len(head.ID))
		id := head.ID
		if len(id) > 64 {
			id = nil
		}
		b.w.WriteMessage(map[string]any{"id": id, "type": apitype.TypeError, "error": apitype.Error{Code: apitype.CodeBadRequest,
			Message: "the message id must be a string"}})
		return
	}
	if len(head.Type) > 0 && head.Type[0] != '"' {
		b.reply(idOf(head.ID), nil, &apitype.Error{Code: apitype.CodeBadRequest, Message: "the message type must be a string"})
		return
	}
	var env apitype.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		b.log.Warn("bad frame from extension", "err", err)
		b.reply(env.ID, nil, &apitype.Error{Code: apitype.CodeBadRequest, Message: "bad message: " + err.Error()})
		return
	}
	switch env.Type {
	case apitype.TypeChunk:
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
	case apitype.TypeCookiesStale:
		// On the reader itself, before the next frame: see getCookies.
		b.applyStale(raw)
		return
	case apitype.TypeResult, apitype.TypeError:
		b.deliver(env)
		return
	}
	h, ok := a.bridgeHandlers[env.Type]
	if !ok {
		b.log.Warn("unknown message type from extension", "type", env.Type)
		b.reply(env.ID, nil, &apitype.Error{Code: apitype.CodeUnknownType, Message: fmt.Sprintf("unknown message type %q", env.Type)})
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(a.ctx, 2*time.Minute)
		defer cancel()
		res, err := h(ctx, b, raw)
		b.reply(env.ID, res, err)
	}()
}
