package release

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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

// cookieStream answers GET /v1/connectors/{id}/cookies/stream: server-sent
// events, one `cookies` event with the connector's whole set (a Playwright
// storage state, as GET .../cookies?format=playwright) at once, then another
// whenever one of its cookies changes in the browser and the set differs.
// Each event is a cookie release, audited as GET .../cookies is. An
// `error` event (an apitype.Error) says the set could not be read; the
// stream stays open and tries again at the next change, except after
// access_not_granted (the grant was removed), which ends it.
func (r *Routes) cookieStream(ctx context.Context, req *http.Request) (any, error) {
	def, err := r.cfg.Catalog.Connector(req.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if f := req.URL.Query().Get("format"); f != "" && f != "playwright" {
		return nil, localapi.BadRequest("format: the stream sends playwright storage states only, not %q", f)
	}
	uid := session.CallerOf(ctx).UID
	if err := r.hub.admit(uid, r.cfg.MaxStreams); err != nil {
		return nil, err
	}
	// Subscribe before the first read, so a change in between is not lost.
	wake := r.hub.subscribe(def.ID)
	first, err := r.cfg.Sessions.LiveCookies(ctx, def)
	if err != nil {
		r.hub.unsubscribe(def.ID, wake)
		r.hub.release(uid)
		return nil, err
	}
	return localapi.Stream{ContentType: "text/event-stream", Run: func(ctx context.Context, w io.Writer, flush func()) error {
		defer r.hub.release(uid)
		defer r.hub.unsubscribe(def.ID, wake)
		s := &stream{r: r, def: def, w: w, flush: flush}
		if rw, ok := w.(http.ResponseWriter); ok {
			s.rc = http.NewResponseController(rw)
		}
		return s.run(ctx, first, wake)
	}}, nil
}

// stream is one open cookie stream.
type stream struct {
	r     *Routes
	def   connector.Definition
	w     io.Writer
	flush func()
	rc    *http.ResponseController
	last  [32]byte
	seq   int
}

func (s *stream) run(ctx context.Context, first []apitype.Cookie, wake <-chan struct{}) error {
	if err := s.send(ctx, first); err != nil {
		return err
	}
	beat := time.NewTicker(StreamHeartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.r.cfg.Done:
			return nil
		case <-beat.C:
			if err := s.write(": keep-alive\n\n"); err != nil {
				return err
			}
		case <-wake:
			cs, err := s.r.cfg.Sessions.LiveCookies(ctx, s.def)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				ae := localapi.ErrorOf(err)
				b, _ := json.Marshal(ae)
				if err := s.write(fmt.Sprintf("event: error\ndata: %s\n\n", b)); err != nil {
					return err
				}
				if ae.Code == apitype.CodeAccessNotGranted {
					return nil // the grant was removed: the stream ends
				}
				continue
			}
			if err := s.send(ctx, cs); err != nil {
				return err
			}
		}
	}
}

// send writes a cookies event unless the set is the one last sent
// (another cookie's churn).
func (s *stream) send(ctx context.Context, cs []apitype.Cookie) error {
	var buf bytes.Buffer
	if err := cookies.Encode(&buf, cookies.FormatPlaywright, cs, cookies.Options{Now: time.Now()}); err != nil {
		return err
	}
	var one bytes.Buffer
	if err := json.Compact(&one, buf.Bytes()); err != nil {
		return err
	}
	sum := sha256.Sum256(one.Bytes())
	if s.seq > 0 && sum == s.last {
		return nil
	}
	s.last = sum
	s.seq++
	if s.seq == 1 {
		// The stream is one audit row, not one per event.
		if err := s.r.cfg.Sessions.RecordRelease(ctx, s.def, len(cs), "playwright-stream"); err != nil {
			return fmt.Errorf("record cookie release: %w", err)
		}
	}
	s.r.hub.events.Add(1)
	return s.write(fmt.Sprintf("event: cookies\nid: %d\ndata: %s\n\n", s.seq, one.Bytes()))
}

// write writes and flushes text. Every write must be taken within the
// stall time: a caller that stops reading has its stream closed, and what
// it held freed.
func (s *stream) write(text string) error {
	if s.rc != nil {
		_ = s.rc.SetWriteDeadline(time.Now().Add(s.r.cfg.StreamStall))
	}
	if _, err := io.WriteString(s.w, text); err != nil {
		return err
	}
	if s.rc == nil {
		s.flush()
		return nil
	}
	// A flush that could not complete: the caller stopped reading past the
	// write deadline.
	return s.rc.Flush()
}
