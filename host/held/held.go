// Package held keeps the extension's cookies.get answers of one bridge, so
// that the agent asks the browser only when something may have changed: an
// answer the extension holds is answered again without a round trip until
// the extension says cookies.stale for its domains, and otherwise the
// request is conditional on the last answer's version. Group joins
// concurrent requests for the same cookies into one round trip.
package held

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/authbridge/authbridge/host/apitype"
)

// MaxAnswers bounds the answers one bridge keeps: one per connector in use,
// so reaching it means the domains keep changing; the set then starts over.
const MaxAnswers = 1024

// Ask sends a cookies.get to the extension and waits for its answer.
type Ask func(ctx context.Context, req apitype.CookiesGet) (apitype.CookiesResult, error)

// Answers are one bridge's last full cookies.get answers, by store and
// domains. Its zero value is ready.
type Answers struct {
	mu      sync.Mutex
	answers map[string]answer
	// staleGen counts the cookies.stale frames taken (Stale).
	staleGen uint64
}

// answer is the last full cookies.get answer of one store and set of
// domains, with the version the extension gave it.
type answer struct {
	version string
	cookies []apitype.Cookie
	// domains is the domain list of the request, joined by NUL, as
	// cookies.stale names it.
	domains string
	// live means the extension holds this answer and has sent no
	// cookies.stale for its domains since: it may be answered again
	// without asking (see Get).
	live bool
}

func key(req apitype.CookiesGet) (k, domains string) {
	domains = strings.Join(req.Domains, "\x00")
	return req.Store + "\x00" + domains, domains
}

// Get answers cookies.get for one store and set of domains.
//
// A held answer (live) is answered again without a round trip: the
// extension promised to send cookies.stale for these domains from the very
// event handler that updates its index when one of their cookies changes,
// before any later frame, and the bridge's reader applies cookies.stale
// (Stale) as the frame arrives. So a held answer is never older than the
// extension's index as of the last frame the host has read from it.
//
// Otherwise the request is conditional on the version of the last full
// answer: the extension answers `unchanged` when none of those cookies
// changed since, and the host reuses that answer's cookies instead of
// receiving and decoding them again.
//
// Every answer still goes through the caller's filter, which drops what
// has expired since.
func (h *Answers) Get(ctx context.Context, req apitype.CookiesGet, ask Ask) (apitype.CookiesResult, error) {
	k, domains := key(req)
	h.mu.Lock()
	prev, ok := h.answers[k]
	gen := h.staleGen
	h.mu.Unlock()
	if ok && prev.live {
		return apitype.CookiesResult{Cookies: prev.cookies}, nil
	}
	if ok {
		req.IfVersion = prev.version
	}
	req.Hold = true
	res, err := ask(ctx, req)
	if err != nil {
		return res, err
	}
	if res.Unchanged {
		if !ok || res.Version != prev.version {
			h.forget(k)
			return apitype.CookiesResult{}, &apitype.Error{Code: apitype.CodeInternal,
				Message: fmt.Sprintf("the extension answered cookies.get as unchanged since version %q, which the host did not ask about", res.Version)}
		}
		res.Cookies = prev.cookies
	}
	if res.Version == "" {
		// An extension without versions, or a store read live: every
		// answer is full.
		h.forget(k)
		return res, nil
	}
	h.mu.Lock()
	if h.answers == nil || len(h.answers) >= MaxAnswers {
		h.answers = map[string]answer{}
	}
	// Live only if no cookies.stale arrived since the request left: one
	// that did may concern an answer sent before this one, or this one;
	// the next caller then asks again, conditionally.
	h.answers[k] = answer{version: res.Version, cookies: res.Cookies, domains: domains, live: res.Held && h.staleGen == gen}
	h.mu.Unlock()
	return res, nil
}

// Held returns the held answer for req, if there is one (see Get).
func (h *Answers) Held(req apitype.CookiesGet) ([]apitype.Cookie, bool) {
	k, _ := key(req)
	h.mu.Lock()
	defer h.mu.Unlock()
	a, ok := h.answers[k]
	if !ok || !a.live {
		return nil, false
	}
	return a.cookies, true
}

func (h *Answers) forget(k string) {
	h.mu.Lock()
	delete(h.answers, k)
	h.mu.Unlock()
}

// Stale takes a cookies.stale frame. The bridge's reader calls it before
// it reads the next frame: no answer sent after the change can be stored
// as live, and none held before it is answered again. A frame that does
// not decode drops every held answer, and its error is returned.
func (h *Answers) Stale(raw []byte) error {
	var m apitype.CookiesStale
	err := json.Unmarshal(raw, &m)
	stale := map[string]bool{}
	for _, d := range m.Domains {
		stale[strings.Join(d, "\x00")] = true
	}
	h.mu.Lock()
	h.staleGen++
	for k, a := range h.answers {
		if a.live && (err != nil || stale[a.domains]) {
			a.live = false
			h.answers[k] = a
		}
	}
	h.mu.Unlock()
	return err
}
