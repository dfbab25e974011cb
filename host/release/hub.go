package release

import (
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
)

// hub fans "this connector's cookies changed" out to the open cookie
// streams, and counts them per user. Its zero value is ready.
type hub struct {
	mu     sync.Mutex
	subs   map[string]map[chan struct{}]bool // connector id -> wake channels
	open   map[int]int                       // caller uid -> streams open
	total  int
	freeAt *time.Timer  // returns memory once the last stream closed
	events atomic.Int64 // events started, for tests
}

// admit counts a new stream of uid, or says why it may not open.
func (h *hub) admit(uid, max int) error {
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
func (h *hub) release(uid int) {
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

// subscribe returns a channel that receives (coalesced) wake-ups for id.
func (h *hub) subscribe(id string) chan struct{} {
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

func (h *hub) unsubscribe(id string, ch chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs[id], ch)
	if len(h.subs[id]) == 0 {
		delete(h.subs, id)
	}
}

// publish wakes every stream of the given connectors.
func (h *hub) publish(ids ...string) {
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
