package agent

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
)

// cookieCalls joins concurrent cookies.get requests for the same bridge,
// store and domains into one round trip to the extension: callers arriving
// while a request is in flight share its answer. Nothing is cached once it
// is answered here, so every caller gets a set read after it asked or during
// its wait (or a held answer, which getCookies knows is unchanged since). When every caller of a request has given up, the request is
// cancelled and forgotten, so the next caller sends its own. It keeps many
// concurrent callers (a parallel export, the bench's 20 callers) from
// queueing on the one native-messaging pipe. Only a request sent less than
// joinWindow ago is joined: an older one may be stuck, and its answer would
// be older than the caller cares for.
type cookieCalls struct {
	mu       sync.Mutex
	inflight map[string]*cookieCall
}

// joinWindow is how recent a request in flight must be to be joined.
const joinWindow = 50 * time.Millisecond

type cookieCall struct {
	started time.Time
	done    chan struct{}
	cancel  context.CancelFunc
	res     apitype.CookiesResult
	err     error
	// waiting counts the callers still waiting, joined the callers that
	// joined after the first (both under the group's mu).
	waiting, joined int
}

// do runs get(ctx) once per key at a time; get's context ends when every
// caller has stopped waiting or parent ends.
func (g *cookieCalls) do(ctx, parent context.Context, key string, get func(context.Context) (apitype.CookiesResult, error)) (apitype.CookiesResult, error) {
	g.mu.Lock()
	if g.inflight == nil {
		g.inflight = map[string]*cookieCall{}
	}
	c, ok := g.inflight[key]
	if ok && time.Since(c.started) >= joinWindow {
		ok = false // replaced in inflight; its own callers still get its answer
	}
	if ok {
		c.joined++
	} else {
		sctx, cancel := context.WithCancel(parent)
		c = &cookieCall{started: time.Now(), done: make(chan struct{}), cancel: cancel}
		g.inflight[key] = c
		go func() {
			res, err := get(sctx)
			g.mu.Lock()
			if g.inflight[key] == c {
				delete(g.inflight, key)
			}
			c.res, c.err = res, err
			g.mu.Unlock()
			cancel()
			close(c.done)
		}()
	}
	c.waiting++
	g.mu.Unlock()
	select {
	case <-c.done:
		return c.res, c.err
	case <-ctx.Done():
		g.mu.Lock()
		c.waiting--
		if c.waiting == 0 {
			c.cancel()
			if g.inflight[key] == c {
				delete(g.inflight, key)
			}
		}
		g.mu.Unlock()
		return apitype.CookiesResult{}, ctx.Err()
	}
}

// cookieCallKey names one cookies.get request of a bridge.
func cookieCallKey(bridgeID, store string, domains []string) string {
	return bridgeID + "\x00" + store + "\x00" + strings.Join(domains, "\x00")
}
