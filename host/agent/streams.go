package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/cookies"
	"github.com/authbridge/authbridge/host/localapi"
)

// StreamHeartbeat is how often an idle cookie stream sends an SSE comment,
// so that a caller can tell a quiet stream from a dead one.
const StreamHeartbeat = 15 * time.Second

// streamHub fans "this connector's cookies changed" out to the open cookie
// streams. Its zero value is ready.
type streamHub struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]bool // connector id -> wake channels
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
	// Subscribe before the first read, so a change in between is not lost.
	wake := a.streams.subscribe(def.ID)
	first, err := a.sessions.LiveCookies(ctx, def)
	if err != nil {
		a.streams.unsubscribe(def.ID, wake)
		return nil, err
	}
	return localapi.Stream{ContentType: "text/event-stream", Run: func(ctx context.Context, w io.Writer, flush func()) error {
		defer a.streams.unsubscribe(def.ID, wake)
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
			if err := a.sessions.RecordRelease(ctx, def, len(cs), "playwright-stream"); err != nil {
				return fmt.Errorf("record cookie release: %w", err)
			}
			if _, err := fmt.Fprintf(w, "event: cookies\nid: %d\ndata: %s\n\n", seq, one.Bytes()); err != nil {
				return err
			}
			flush()
			return nil
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
				if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
					return err
				}
				flush()
			case <-wake:
				cs, err := a.sessions.LiveCookies(ctx, def)
				if err != nil {
					if ctx.Err() != nil {
						return nil
					}
					ae := localapi.ErrorOf(err)
					b, _ := json.Marshal(ae)
					if _, err := fmt.Fprintf(w, "event: error\ndata: %s\n\n", b); err != nil {
						return err
					}
					flush()
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
