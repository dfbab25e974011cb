package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/cookies"
	"github.com/authbridge/authbridge/host/localapi"
	"github.com/authbridge/authbridge/host/session"
)

// StreamHeartbeat is how often an idle cookie stream sends an SSE comment,
// so that a caller can tell a quiet stream from a dead one.
const StreamHeartbeat = 15 * time.Second

// DefaultMaxStreams is how many cookie streams one user may hold open at
// once when Config.MaxStreams is 0.
const DefaultMaxStreams = 64

// DefaultStreamStall is how long a cookie stream may leave a write untaken
// before it is closed, when Config.StreamStall is 0.
const DefaultStreamStall = 30 * time.Second

// streamHub fans "this connector's cookies changed" out to the open cookie
// streams, and counts them per user. Its zero value is ready.
type streamHub struct {
	mu     sync.Mutex
	subs   map[string]map[chan struct{}]bool // connector id -> wake channels
	open   map[int]int                       // caller uid -> streams open
	total  int
	freeAt *time.Timer  // returns memory once the last stream closed
	events atomic.Int64 // events started, for tests
}

// admit counts a new stream of uid, or says why it may not open.
func (h *streamHub) admit(uid, max int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.open == nil {
		h.open = map[int]int{}
	}
	if h.open[uid] >= max {
		return &apitype.Error{Code: apitype.CodeBusy, Message: fmt.Sprintf("too many cookie streams: this user already has %d open, the most allowed; close one before opening another", max)}
	}
	h.open[uid]++
	h.total++
	if h.freeAt != nil {
		h.freeAt.Stop()
	}
	return nil
}

// release uncounts a stream of uid; when none is left open, the memory the
// streams held goes back to the system shortly after.
func (h *streamHub) release(uid int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.open[uid]--
	if h.open[uid] <= 0 {
		delete(h.open, uid)
	}
	h.total--
	if h.total == 0 {
		if h.freeAt != nil {
			h.freeAt.Stop()
		}
		h.freeAt = time.AfterFunc(time.Second, debug.FreeOSMemory)
	}
}

// StreamEvents is how many cookie events streams have started to write.
func (a *Agent) StreamEvents() int { return int(a.streams.events.Load()) }

// OpenStreams is the number of cookie streams open now.
func (a *Agent) OpenStreams() int {
	a.streams.mu.Lock()
	defer a.streams.mu.Unlock()
	return a.streams.total
}

// subscribe returns a channel that receives (coalesced) wake-ups for id.
func (h *streamHub) subscribe(id string) chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[string]map[chan struct{}]bool{}
	}
	ch := make(chan struct{}, 1)
	if h.subs[id] == nil {
		h.subs[id] = map[chan struct{}]bool{}
	}
	h.subs[id][ch] = true
	return ch
}

func (h *streamHub) unsubscribe(id string, ch chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs[id], ch)
	if len(h.subs[id]) == 0 {
		delete(h.subs, id)
	}
}

// publish wakes every stream of the given connectors.
func (h *streamHub) publish(ids ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		for ch := range h.subs[id] {
			select {
			case ch <- struct{}{}:
			default: // a wake-up is already pending
			}
		}
	}
}

// publishChanges wakes the streams of every connector a cookies.changed
// touches (auth cookies: the extension forwards those).
func (a *Agent) publishChanges(defs []connector.Definition, changes []apitype.CookieChange) {
	for _, d := range defs {
		for _, c := range changes {
			if cookies.InScope(c.Cookie.Domain, d.Domains) {
				a.streams.publish(d.ID)
				break
			}
		}
	}
}

// handleCookiesTouched takes the extension's cookies.touched notification.
func (a *Agent) handleCookiesTouched(ctx context.Context, b *bridge, raw json.RawMessage) (any, error) {
	var m apitype.CookiesTouched
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, &apitype.Error{Code: apitype.CodeBadRequest, Message: "cookies.touched: " + err.Error()}
	}
	a.streams.publish(m.Connectors...)
	return nil, nil
}

// streamRoutes adds the cookie stream and refresh to the configured extra
// routes.
func (a *Agent) streamRoutes(extra map[string]localapi.HandlerFunc) map[string]localapi.HandlerFunc {
	out := map[string]localapi.HandlerFunc{
		"GET /v1/connectors/{id}/cookies/stream": a.cookieStream,
		"POST /v1/connectors/{id}/refresh":       a.refresh,
		"GET /v1/access":                         a.accessLog,
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// cookieStream answers GET /v1/connectors/{id}/cookies/stream: server-sent
// events, one `cookies` event with the connector's whole set (a Playwright
// storage state, as GET .../cookies?format=playwright) at once, then another
// whenever one of its cookies changes in the browser and the set differs.
// Each event is a cookie release, audited as GET .../cookies is. An
// `error` event (an apitype.Error) says the set could not be read; the
// stream stays open and tries again at the next change, except after
// access_not_granted (the grant was removed), which ends it.
func (a *Agent) cookieStream(ctx context.Context, r *http.Request) (any, error) {
	def, err := a.catalog.Connector(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if f := r.URL.Query().Get("format"); f != "" && f != "playwright" {
		return nil, localapi.BadRequest("format: the stream sends playwright storage states only, not %q", f)
	}
	max, stall := a.cfg.MaxStreams, a.cfg.StreamStall
	if max <= 0 {
		max = DefaultMaxStreams
	}
	if stall <= 0 {
		stall = DefaultStreamStall
	}
	uid := session.CallerOf(ctx).UID
	if err := a.streams.admit(uid, max); err != nil {
		return nil, err
	}
	// Subscribe before the first read, so a change in between is not lost.
	wake := a.streams.subscribe(def.ID)
	first, err := a.sessions.LiveCookies(ctx, def)
	if err != nil {
		a.streams.unsubscribe(def.ID, wake)
		a.streams.release(uid)
		return nil, err
	}
	return localapi.Stream{ContentType: "text/event-stream", Run: func(ctx context.Context, w io.Writer, flush func()) error {
		defer a.streams.release(uid)
		defer a.streams.unsubscribe(def.ID, wake)
		// Every write must be taken within stall: a caller that stops
		// reading has its stream closed, and what it held freed.
		var rc *http.ResponseController
		if rw, ok := w.(http.ResponseWriter); ok {
			rc = http.NewResponseController(rw)
		}
		deadline := func() {
			if rc != nil {
				_ = rc.SetWriteDeadline(time.Now().Add(stall))
			}
		}
		var last [32]byte
		seq := 0
		send := func(cs []apitype.Cookie) error {
			var buf bytes.Buffer
			if err := cookies.Encode(&buf, cookies.FormatPlaywright, cs, cookies.Options{Now: time.Now()}); err != nil {
				return err
			}
			var one bytes.Buffer
			if err := json.Compact(&one, buf.Bytes()); err != nil {
				return err
			}
			sum := sha256.Sum256(one.Bytes())
			if seq > 0 && sum == last {
				return nil // the set did not change (another cookie's churn)
			}
			last = sum
			seq++
			if seq == 1 {
				// The stream is one audit row, not one per event.
				if err := a.sessions.RecordRelease(ctx, def, len(cs), "playwright-stream"); err != nil {
					return fmt.Errorf("record cookie release: %w", err)
				}
			}
			deadline()
			a.streams.events.Add(1)
			if _, err := fmt.Fprintf(w, "event: cookies\nid: %d\ndata: %s\n\n", seq, one.Bytes()); err != nil {
				return err
			}
			return flushErr(rc, flush)
		}
		if err := send(first); err != nil {
			return err
		}
		beat := time.NewTicker(StreamHeartbeat)
		defer beat.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-a.ctx.Done():
				return nil
			case <-beat.C:
				deadline()
				if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
					return err
				}
				if err := flushErr(rc, flush); err != nil {
					return err
				}
			case <-wake:
				cs, err := a.sessions.LiveCookies(ctx, def)
				if err != nil {
					if ctx.Err() != nil {
						return nil
					}
					ae := localapi.ErrorOf(err)
					b, _ := json.Marshal(ae)
					deadline()
					if _, err := fmt.Fprintf(w, "event: error\ndata: %s\n\n", b); err != nil {
						return err
					}
					if err := flushErr(rc, flush); err != nil {
						return err
					}
					if ae.Code == apitype.CodeAccessNotGranted {
						return nil // the grant was removed: the stream ends
					}
					continue
				}
				if err := send(cs); err != nil {
					return err
				}
			}
		}
	}}, nil
}

// flushErr flushes a stream, answering the error of a flush that could not
// complete (the caller stopped reading past the write deadline).
func flushErr(rc *http.ResponseController, flush func()) error {
	if rc == nil {
		flush()
		return nil
	}
	return rc.Flush()
}
