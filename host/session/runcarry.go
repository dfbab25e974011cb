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
// (released within the carry-over window) and they verify there (res is
// Healthy), the copy failed for a reason of the copy itself: a strike. The
// second strike in a row names the session session_not_transferable (and
// auto-repair stops: NeedsHealing); a session the user's browser changed
// since (a new sign-in) starts over.
func (m *Manager) judgeRunRepair(ctx context.Context, def connector.Definition, runID string, live []apitype.Cookie, res taxonomy.Result) taxonomy.Result {
	if runID == "" || !res.Healthy() {
		return res
	}
	p, ok := printAuth(def, live)
	s := m.session(def.ID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok || s.releasedAt.IsZero() || time.Since(s.releasedAt) > m.cfg.CarryOverWindow || p != s.releasedPrint {
		s.runStrikes = 0
		return res
	}
	s.runStrikes++
	m.cfg.Log.Info("a run's copy of the session failed while the user's browser holds the same session and it verifies there", "connector", def.ID, "run", runID, "strike", s.runStrikes)
	if s.runStrikes < StrikesNotTransferable {
		return res
	}
	return taxonomy.NewResult(taxonomy.SessionExpired, taxonomy.DetailSessionNotTransferable, 0, nil, def.Name)
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
