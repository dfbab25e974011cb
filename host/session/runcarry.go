package session

import (
	"context"
	"crypto/sha256"
	"slices"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/cookies"
	"github.com/authbridge/authbridge/taxonomy"
)

// authPrint is a digest of a connector's auth cookies (names, domains and
// values), kept in memory only, to tell whether the session a run was given
// is the one the user's browser still holds. It is never logged or stored.
type authPrint [sha256.Size]byte

// printAuth digests def's auth cookies in cs; ok is false when cs holds
// none.
func printAuth(def connector.Definition, cs []apitype.Cookie) (authPrint, bool) {
	var parts []string
	for _, c := range cs {
		if len(def.AuthCookies) > 0 && !cookies.IsAuthCookie(def.Domains, def.AuthCookies, c.Name, c.Domain) {
			continue
		}
		parts = append(parts, c.Name+"\x00"+c.Domain+"\x00"+c.Path+"\x00"+c.Value)
	}
	if len(parts) == 0 {
		return authPrint{}, false
	}
	slices.Sort(parts)
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0xff})
	}
	var out authPrint
	copy(out[:], h.Sum(nil))
	return out, true
}

// released notes the auth cookies of def handed out (to a run, through the
// cookies API or a stream): a run that then asks for a repair while the
// user's browser still holds those same cookies, and they verify there,
// is evidence that the session does not carry over.
func (m *Manager) released(def connector.Definition, cs []apitype.Cookie) {
	p, ok := printAuth(def, cs)
	if !ok {
		return
	}
	s := m.session(def.ID)
	s.mu.Lock()
	if p != s.releasedPrint {
		s.runStrikes = 0 // another session (a new sign-in): no evidence yet
	}
	s.releasedPrint, s.releasedAt = p, time.Now()
	s.mu.Unlock()
}

// judgeRunRepair is the evidence rule for a run's session: a run asks for a
// repair (runID set) because the session it was given failed in its own
// browser. When the user's browser still holds those same auth cookies
// (released within the carry-over window), they verify (res is Healthy),
// and a request from the user's browser itself to the verify URL succeeds
// (signedInThere), the copy failed for a reason of the copy itself: a
// strike. The second strike in a row names the session
// session_not_transferable (and auto-repair stops: NeedsHealing); a session
// the user's browser changed since (a new sign-in) starts over, and a check
// in the user's browser that fails or cannot be made is no evidence.
func (m *Manager) judgeRunRepair(ctx context.Context, def connector.Definition, runID string, live []apitype.Cookie, res taxonomy.Result) taxonomy.Result {
	if runID == "" || !res.Healthy() {
		return res
	}
	p, ok := printAuth(def, live)
	s := m.session(def.ID)
	s.mu.Lock()
	same := ok && !s.releasedAt.IsZero() && time.Since(s.releasedAt) <= m.cfg.CarryOverWindow && p == s.releasedPrint
	if !same {
		s.runStrikes = 0
	}
	s.mu.Unlock()
	if !same {
		return res
	}
	works, checked := m.signedInThere(ctx, def, runID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !works {
		if checked {
			s.runStrikes = 0 // signed out there too: the run of strikes ends
		}
		return res
	}
	if p != s.releasedPrint {
		// Another session was handed out meanwhile: it starts over.
		return res
	}
	s.runStrikes++
	m.cfg.Log.Info("a run's copy of the session failed while the user's browser holds the same session and it works there", "connector", def.ID, "run", runID, "strike", s.runStrikes)
	if s.runStrikes < StrikesNotTransferable {
		return res
	}
	return taxonomy.NewResult(taxonomy.SessionExpired, taxonomy.DetailSessionNotTransferable, 0, nil, def.Name)
}

// browserCheckTimeout bounds one BrowserCheck.
const browserCheckTimeout = 30 * time.Second

// signedInThere asks the user's browser itself for def's verify URL
// (Config.BrowserCheck) and reports whether the session works there
// (works: a 2xx answer that is no redirect) and whether the browser
// answered at all (checked). The browser follows no redirect and its check
// reads no page, so of the verify rules only the status ones apply (a
// redirect to the sign-in, 401, 403, 429, 5xx); the page's selectors were
// matched by the verify of the same cookies that preceded it.
func (m *Manager) signedInThere(ctx context.Context, def connector.Definition, runID string) (works, checked bool) {
	if m.cfg.BrowserCheck == nil {
		return false, false
	}
	cctx, cancel := context.WithTimeout(ctx, browserCheckTimeout)
	defer cancel()
	status, redirected, err := m.cfg.BrowserCheck(cctx, def)
	works = err == nil && !redirected && status >= 200 && status <= 299
	if !works {
		m.cfg.Log.Info("a run's copy of the session failed, and the user's browser's own request to the verify URL did not succeed: no carry-over evidence", "connector", def.ID, "run", runID, "status", status, "redirected", redirected, "err", err)
	}
	return works, err == nil
}

// stillNotTransferable reports whether def was named
// session_not_transferable by the run evidence and the user's browser
// still holds the very session that earned it: a live check that works
// there says nothing about a copy.
func (m *Manager) stillNotTransferable(def connector.Definition, live []apitype.Cookie) bool {
	p, ok := printAuth(def, live)
	s := m.session(def.ID)
	s.mu.Lock()
	defer s.mu.Unlock()
	return ok && s.runStrikes >= StrikesNotTransferable && p == s.releasedPrint
}
