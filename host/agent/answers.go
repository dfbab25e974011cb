package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/authbridge/authbridge/host/apitype"
)

// lastAnswer is the last full cookies.get answer of one store and set of
// domains on one bridge, with the version the extension gave it.
type lastAnswer struct {
	version string
	cookies []apitype.Cookie
	// domains is the domain list of the request, joined by NUL, as
	// cookies.stale names it.
	domains string
	// live means the extension holds this answer and has sent no
	// cookies.stale for its domains since: it may be answered again
	// without asking (see getCookies).
	live bool
}

// maxAnswers bounds the answers a bridge keeps: one per connector in use,
// so reaching it means the domains keep changing; the map then starts over.
const maxAnswers = 1024

// getCookies answers cookies.get for one store and set of domains.
//
// A held answer (live) is answered again without a round trip: the
// extension promised to send cookies.stale for these domains from the very
// event handler that updates its index when one of their cookies changes,
// before any later frame, and the reader applies cookies.stale as the
// frame arrives. So a held answer is never older than the extension's
// index as of the last frame the host has read from it.
//
// Otherwise the request is conditional on the version of the last full
// answer: the extension answers `unchanged` when none of those cookies
// changed since, and the host reuses that answer's cookies instead of
// receiving and decoding them again.
//
// Every answer still goes through the caller's filter, which drops what
// has expired since.
func (b *bridge) getCookies(ctx context.Context, req apitype.CookiesGet) (apitype.CookiesResult, error) {
	domains := strings.Join(req.Domains, "\x00")
	key := req.Store + "\x00" + domains
	b.mu.Lock()
	prev, ok := b.answers[key]
	gen := b.staleGen
	b.mu.Unlock()
	if ok && prev.live {
		return apitype.CookiesResult{Cookies: prev.cookies}, nil
	}
	if ok {
		req.IfVersion = prev.version
	}
	req.Hold = true
	var res apitype.CookiesResult
	if err := b.call(ctx, req, &res); err != nil {
		return res, err
	}
	if res.Unchanged {
		if !ok || res.Version != prev.version {
			b.forgetAnswer(key)
			return apitype.CookiesResult{}, &apitype.Error{Code: apitype.CodeInternal,
				Message: fmt.Sprintf("the extension answered cookies.get as unchanged since version %q, which the host did not ask about", res.Version)}
		}
		res.Cookies = prev.cookies
	}
	if res.Version == "" {
		// An extension without versions, or a store read live: every
		// answer is full.
		b.forgetAnswer(key)
		return res, nil
	}
	b.mu.Lock()
	if b.answers == nil || len(b.answers) >= maxAnswers {
		b.answers = map[string]lastAnswer{}
	}
	// Live only if no cookies.stale arrived since the request left: one
	// that did may concern an answer sent before this one, or this one;
	// the next caller then asks again, conditionally.
	b.answers[key] = lastAnswer{version: res.Version, cookies: res.Cookies, domains: domains, live: res.Held && b.staleGen == gen}
	b.mu.Unlock()
	return res, nil
}

// held returns the held answer for req, if there is one (see getCookies).
func (b *bridge) held(req apitype.CookiesGet) ([]apitype.Cookie, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, ok := b.answers[req.Store+"\x00"+strings.Join(req.Domains, "\x00")]
	if !ok || !a.live {
		return nil, false
	}
	return a.cookies, true
}

func (b *bridge) forgetAnswer(key string) {
	b.mu.Lock()
	delete(b.answers, key)
	b.mu.Unlock()
}

// applyStale takes a cookies.stale frame. It runs on the bridge's reader,
// before the next frame is read: no answer sent after the change can be
// stored as live, and none held before it is answered again.
func (b *bridge) applyStale(raw []byte) {
	var m apitype.CookiesStale
	err := json.Unmarshal(raw, &m)
	stale := map[string]bool{}
	for _, d := range m.Domains {
		stale[strings.Join(d, "\x00")] = true
	}
	b.mu.Lock()
	b.staleGen++
	for k, a := range b.answers {
		// A frame that does not decode drops every held answer.
		if a.live && (err != nil || stale[a.domains]) {
			a.live = false
			b.answers[k] = a
		}
	}
	b.mu.Unlock()
	if err != nil {
		b.log.Warn("bad cookies.stale from extension; every held answer dropped", "err", err)
	}
}
