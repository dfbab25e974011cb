package agent

import (
	"context"
	"strings"
	"sync"

	"github.com/authbridge/authbridge/host/apitype"
)

// cookieCalls joins concurrent cookies.get requests for the same bridge,
// store and domains into one round trip to the extension: callers arriving
// while a request is in flight share its answer. Nothing is cached once it
// is answered, so every caller still gets a set read after it asked or
// during its wait. It keeps many concurrent callers (a parallel export, the
// bench's 20 callers) from queueing on the one native-messaging pipe.
type cookieCalls struct {
	mu       sync.Mutex
	inflight map[string]*cookieCall
}

type cookieCall struct {
	done chan struct{}
	res  apitype.CookiesResult
	err  error
	// joined counts the callers sharing this request (under the group's mu).
	joined int
}

// do runs get once per key at a time; a caller whose ctx ends stops
// waiting (the shared request goes on for the others).
func (g *cookieCalls) do(ctx context.Context, key string, get func() (apitype.CookiesResult, error)) (apitype.CookiesResult, error) {
	g.mu.Lock()
	if g.inflight == nil {
		g.inflight = map[string]*cookieCall{}
	}
	if c, ok := g.inflight[key]; ok {
		c.joined++
		g.mu.Unlock()
		select {
		case <-c.done:
			return c.res, c.err
		case <-ctx.Done():
			return apitype.CookiesResult{}, ctx.Err()
		}
	}
	c := &cookieCall{done: make(chan struct{})}
	g.inflight[key] = c
	g.mu.Unlock()
	c.res, c.err = get()
	g.mu.Lock()
	delete(g.inflight, key)
	g.mu.Unlock()
	close(c.done)
	return c.res, c.err
}

// cookieCallKey names one cookies.get request of a bridge.
func cookieCallKey(bridgeID, store string, domains []string) string {
	return bridgeID + "\x00" + store + "\x00" + strings.Join(domains, "\x00")
}
