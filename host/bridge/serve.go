package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/nativemsg"
)

// Handler answers one message from the extension; its result or error is
// the reply (none to a notification).
type Handler func(ctx context.Context, raw json.RawMessage) (any, error)

// Routes are what Serve does with the extension's messages.
type Routes struct {
	// Seen is called for every frame read.
	Seen func()
	// Inline handlers run on the reader itself, before the next frame is
	// read (a notice that must take effect before any later reply).
	Inline map[string]func(raw []byte)
	// Handlers answer the other types, each in its own goroutine under
	// the context given to Serve, for at most HandlerTimeout.
	Handlers map[string]Handler
}

// Serve reads frames from the relay until the connection ends, then
// closes it: calls in flight end with session.ErrNoBrowser.
func (c *Conn) Serve(ctx context.Context, routes Routes) {
	defer func() {
		close(c.closed)
		c.conn.Close()
	}()
	r := nativemsg.NewReader(c.conn, nativemsg.MaxInbound)
	var asm nativemsg.Assembler
	for {
		raw, err := r.ReadFrame()
		if err != nil {
			// Only a broken stream ends the bridge: a frame that is too large
			// or cut short leaves no way to find the next one.
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.log.Warn("bridge read failed", "err", err)
			}
			return
		}
		if routes.Seen != nil {
			routes.Seen()
		}
		if err := nativemsg.CheckObject(raw); err != nil {
			c.log.Warn("bad frame from extension", "err", err, "bytes", len(raw))
			c.w.WriteMessage(map[string]any{"type": apitype.TypeError, "error": apitype.Error{Code: apitype.CodeBadRequest, Message: fmt.Sprintf("bad frame (%d bytes): %v", len(raw), err)}})
			continue
		}
		c.handleFrame(ctx, routes, raw, &asm)
	}
}

func (c *Conn) handleFrame(ctx context.Context, routes Routes, raw []byte, asm *nativemsg.Assembler) {
	env, ok := c.envelope(raw)
	if !ok {
		return
	}
	switch env.Type {
	case apitype.TypeChunk:
		var ch nativemsg.Chunk
		if err := json.Unmarshal(raw, &ch); err != nil {
			c.log.Warn("bad chunk", "err", err)
			return
		}
		whole, err := asm.Add(ch)
		if err != nil {
			c.log.Warn("bad chunk", "err", err)
			return
		}
		if whole != nil {
			c.handleFrame(ctx, routes, whole, asm)
		}
		return
	case apitype.TypeResult, apitype.TypeError:
		c.deliver(env)
		return
	}
	if f, ok := routes.Inline[env.Type]; ok {
		f(raw)
		return
	}
	h, ok := routes.Handlers[env.Type]
	if !ok {
		c.log.Warn("unknown message type from extension", "type", env.Type)
		c.reply(env.ID, nil, &apitype.Error{Code: apitype.CodeUnknownType, Message: fmt.Sprintf("unknown message type %q", env.Type)})
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(ctx, HandlerTimeout)
		defer cancel()
		res, err := h(ctx, raw)
		c.reply(env.ID, res, err)
	}()
}

// envelope decodes a frame's id and type, answering the extension when
// they are not strings.
func (c *Conn) envelope(raw []byte) (apitype.Envelope, bool) {
	var head struct {
		ID   json.RawMessage `json:"id"`
		Type json.RawMessage `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		c.log.Warn("bad frame from extension", "err", err)
		return apitype.Envelope{}, false
	}
	if len(head.ID) > 0 && head.ID[0] != '"' && string(head.ID) != "null" {
		// A reply must carry the id it answers; echo the caller's own value
		// (it is valid JSON) so that a client keyed on it sees the refusal.
		c.log.Warn("frame with a non-string id", "id_bytes", len(head.ID))
		id := head.ID
		if len(id) > 64 {
			id = nil
		}
		c.w.WriteMessage(map[string]any{"id": id, "type": apitype.TypeError, "error": apitype.Error{Code: apitype.CodeBadRequest,
			Message: "the message id must be a string"}})
		return apitype.Envelope{}, false
	}
	if len(head.Type) > 0 && head.Type[0] != '"' {
		c.reply(idOf(head.ID), nil, &apitype.Error{Code: apitype.CodeBadRequest, Message: "the message type must be a string"})
		return apitype.Envelope{}, false
	}
	var env apitype.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		c.log.Warn("bad frame from extension", "err", err)
		c.reply(env.ID, nil, &apitype.Error{Code: apitype.CodeBadRequest, Message: "bad message: " + err.Error()})
		return apitype.Envelope{}, false
	}
	return env, true
}
