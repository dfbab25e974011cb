package held

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
)

// Group joins concurrent cookies.get requests for the same bridge, store
// and domains into one round trip to the extension: callers arriving while
// a request is in flight share its answer. Nothing is cached once it is
// answered here, so every caller gets a set read after it asked or during
// its wait (or a held answer, which Answers knows is unchanged since). It
// keeps many concurrent callers (a parallel export) from queueing on the
// one native-messaging pipe. Its zero value is ready.
//
// It is not golang.org/x/sync/singleflight, whose shape it shares, because
// two of its rules have no place there: when every caller of a request has
// given up, the request is cancelled and forgotten (singleflight runs the
// work to its end, holding a call on the pipe and the extension's read for
// nobody), and only a request sent less than JoinWindow ago is joined (an
// older one may be stuck, and its answer would be older than the caller
// cares for; singleflight joins any call in flight). Building them on
// singleflight's DoChan and Forget needs a second map of the calls in
// flight, by key, beside singleflight's own: the same bookkeeping twice.
type Group struct {
	mu       sync.Mutex
	inflight map[string]*call
}

// JoinWindow is how recent a request in flight must be to be joined.
const JoinWindow = 50 * time.Millisecond

type call struct {
	started time.Time
	done    chan struct{}
	cancel  context.CancelFunc
	res     apitype.CookiesResult
	err     error
	// waiting counts the callers still waiting, joined the callers that
	// joined after the first (both under the group's mu).
	waiting, joined int
}

// Do runs get once per key at a time, and waits for its answer until ctx
// ends. get's context ends when every caller has stopped waiting or parent
// ends.
func (g *Group) Do(ctx, parent context.Context, key string, get func(context.Context) (apitype.CookiesResult, error)) (apitype.CookiesResult, error) {
	g.mu.Lock()
	if g.inflight == nil {
		g.inflight = map[string]*call{}
	}
	c, ok := g.inflight[key]
	if ok && time.Since(c.started) >= JoinWindow {
		ok = false // replaced in inflight; its own callers still get its answer
	}
	if ok {
		c.joined++
	} else {
		sctx, cancel := context.WithCancel(parent)
		c = &call{started: time.Now(), done: make(chan struct{}), cancel: cancel}
		g.inflight[key] = c
		go g.run(sctx, key, c, get)
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

func (g *Group) run(ctx context.Context, key string, c *call, get func(context.Context) (apitype.CookiesResult, error)) {
	res, err := get(ctx)
	g.mu.Lock()
	if g.inflight[key] == c {
		delete(g.inflight, key)
	}
	c.res, c.err = res, err
	g.mu.Unlock()
	c.cancel()
	close(c.done)
}

// CallKey names one cookies.get request of a bridge.
func CallKey(bridgeID, store string, domains []string) string {
	return bridgeID + "\x00" + store + "\x00" + strings.Join(domains, "\x00")
}
