// Package bridge is the agent's end of one relay connection: the extension
// of one browser profile. It takes the relay's bridge.hello and checks the
// origin it speaks for, sends requests to the extension and matches their
// replies by id, and reads the extension's own messages, handing each to
// the agent's handler for its type. What the agent knows of the browser
// behind a connection (grants, profile binding, held answers) is the
// agent's.
package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/localapi"
	"github.com/authbridge/authbridge/host/nativemsg"
	"github.com/authbridge/authbridge/host/session"
)

// HandlerTimeout bounds each handler of a message from the extension.
const HandlerTimeout = 2 * time.Minute

// Accept reads a relay's bridge.hello from c and checks that its origin is
// one of allowed. On error c is closed, after a refusal naming the origin
// when only the origin was wrong.
func Accept(c net.Conn, allowed []string) (apitype.BridgeHello, error) {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	raw, err := nativemsg.NewReader(c, 64<<10).ReadMessage()
	c.SetReadDeadline(time.Time{})
	if err != nil {
		c.Close()
		return apitype.BridgeHello{}, fmt.Errorf("bridge without hello: %w", err)
	}
	var h apitype.BridgeHello
	if err := json.Unmarshal(raw, &h); err != nil || h.Type != apitype.TypeBridgeHello {
		c.Close()
		return apitype.BridgeHello{}, errors.New("the bridge's first frame is not bridge.hello")
	}
	if !OriginAllowed(h.Origin, allowed) {
		nativemsg.NewWriter(c, 0).WriteMessage(map[string]any{"type": apitype.TypeError, "error": apitype.Error{Code: apitype.CodeOriginNotAllowed, Message: fmt.Sprintf("origin %q is not allowed", h.Origin)}})
		c.Close()
		return apitype.BridgeHello{}, fmt.Errorf("bridge refused: origin %q not allowed", h.Origin)
	}
	return h, nil
}

// OriginAllowed reports whether origin is one of the allowed extension
// origins (exact match, trailing slash included).
func OriginAllowed(origin string, allowed []string) bool {
	for _, o := range allowed {
		if o == origin {
			return true
		}
	}
	return false
}

// Conn is one accepted relay connection.
type Conn struct {
	conn net.Conn
	w    *nativemsg.Writer
	log  *slog.Logger

	seq     atomic.Uint64
	mu      sync.Mutex
	pending map[string]chan apitype.Envelope
	closed  chan struct{}
}

// New wraps an accepted connection.
func New(c net.Conn, log *slog.Logger) *Conn {
	return &Conn{conn: c, w: nativemsg.NewWriter(c, nativemsg.MaxOutbound), log: log,
		pending: map[string]chan apitype.Envelope{}, closed: make(chan struct{})}
}

// Close closes the connection; Serve then returns.
func (c *Conn) Close() error { return c.conn.Close() }

// Call sends a request to the extension and waits for its reply, decoding
// its result into out (when not nil). An error reply is answered as its
// *apitype.Error; a connection that ends first, as session.ErrNoBrowser.
func (c *Conn) Call(ctx context.Context, req apitype.Request, out any) error {
	typ := req.MessageType()
	id := "h" + strconv.FormatUint(c.seq.Add(1), 10)
	msg, err := message(id, req)
	if err != nil {
		return err
	}
	ch := make(chan apitype.Envelope, 1)
	c.mu.Lock()
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()
	if err := c.w.WriteJSON(msg); err != nil {
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
	case <-c.closed:
		return fmt.Errorf("%s: %w (the browser disconnected)", typ, session.ErrNoBrowser)
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

// Notify sends a message that gets no reply.
func (c *Conn) Notify(req apitype.Request) error {
	msg, err := message("", req)
	if err != nil {
		return err
	}
	return c.w.WriteJSON(msg)
}

func (c *Conn) reply(id string, result any, err error) {
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
	if werr := c.w.WriteMessage(msg); werr != nil {
		c.log.Warn("reply to extension failed", "id", id, "err", werr)
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
func (c *Conn) deliver(env apitype.Envelope) {
	c.mu.Lock()
	ch := c.pending[env.ID]
	delete(c.pending, env.ID)
	c.mu.Unlock()
	if ch == nil {
		c.log.Warn("reply to an unknown or already answered id dropped", "id", truncateID(env.ID), "type", env.Type)
		return
	}
	select {
	case ch <- env:
	default:
		// ch has room for one reply and only deliver sends on it; this is
		// unreachable unless that changes, and must still not block.
		c.log.Warn("reply dropped: its waiter already has one", "id", truncateID(env.ID))
	}
}

// truncateID keeps a hostile id from flooding the log.
func truncateID(id string) string {
	if len(id) > 64 {
		return id[:64] + "…"
	}
	return id
}
