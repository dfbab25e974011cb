package agent

import (
	"errors"
	"time"

	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/cookies"
	"github.com/authbridge/authbridge/host/store"
	"github.com/authbridge/authbridge/taxonomy"
)

// healDebounce coalesces a burst of cookie changes (a sign-in sets several
// cookies at once) into one repair.
const healDebounce = 150 * time.Millisecond

// onAuthCookiesChanged routes a batch of cookie changes to the connectors
// whose auth cookies they touch.
func (a *Agent) onAuthCookiesChanged(b *bridge, changes []cookieChange) {
	if a.cfg.NoLiveEvents {
		return
	}
	defs, _ := a.Connectors()
	for _, d := range defs {
		if touchesAuth(d, changes) {
			a.AuthCookiesChanged(d.ID, "live")
		}
	}
}

// touchesAuth reports whether a change sets (not only removes) one of the
// connector's auth cookies.
func touchesAuth(d connector.Definition, changes []cookieChange) bool {
	for _, c := range changes {
		if c.Removed || !cookies.InScope(c.Cookie.Domain, d.Domains) {
			continue
		}
		if len(d.AuthCookies) == 0 {
			return true
		}
		for _, n := range d.AuthCookies {
			if n == c.Cookie.Name {
				return true
			}
		}
	}
	return false
}

// AuthCookiesChanged is the single entry point of the heal pipeline: the
// extension's live events and the profile watcher both call it when a
// connector's auth cookies appeared or changed. A connector that needs it is
// repaired once the burst settles.
func (a *Agent) AuthCookiesChanged(connectorID, trigger string) {
	s := a.session(connectorID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.healTimer != nil {
		s.healTimer.Reset(healDebounce)
		return
	}
	s.healTimer = time.AfterFunc(healDebounce, func() {
		s.mu.Lock()
		s.healTimer = nil
		s.mu.Unlock()
		a.heal(connectorID, trigger)
	})
}

// healBackoff is how long auto-repair waits after n failed attempts.
func healBackoff(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	d := time.Second << min(n-1, 8)
	return min(d, 5*time.Minute)
}

func (a *Agent) heal(connectorID, trigger string) {
	ctx := a.ctx
	if ctx == nil || ctx.Err() != nil {
		return
	}
	def, err := a.Connector(connectorID)
	if err != nil {
		return
	}
	s := a.session(def.ID)
	s.mu.Lock()
	awaiting, runID := s.awaiting, s.awaitRunID
	if s.repairing {
		// A repair is running with cookies read before this change: look
		// again once it is done.
		s.rerun = true
		s.mu.Unlock()
		return
	}
	wait := healBackoff(s.failures) - time.Since(s.lastAttempt)
	s.mu.Unlock()
	if !awaiting {
		if a.cfg.NoAutoRepair {
			return
		}
		h, err := a.store.GetHealth(ctx, def.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return
		}
		if !needsHealing(h, err == nil) {
			return
		}
		if wait > 0 {
			// Failed attempts back off, but the change is not lost: look
			// again when the back-off ends.
			a.log.Info("auto-repair backing off", "connector", def.ID, "wait", wait)
			time.AfterFunc(wait, func() { a.AuthCookiesChanged(def.ID, trigger) })
			return
		}
	}
	action := RecoveryAutoRepair
	if awaiting {
		action = RecoveryInteractiveRepair
	}
	a.log.Info("repairing after auth cookies changed", "connector", def.ID, "trigger", trigger, "action", action)
	res, err := a.Repair(ctx, def, action, runID)
	s.mu.Lock()
	rerun := s.rerun
	s.rerun = false
	if err == nil && res.Result.Healthy() && awaiting {
		s.awaiting, s.awaitRunID = false, ""
	}
	s.mu.Unlock()
	if err != nil {
		a.log.Warn("auto-repair failed", "connector", def.ID, "err", err)
	} else {
		a.log.Info("auto-repair done", "connector", def.ID, "code", res.Result.Code, "detail", res.Result.Detail)
	}
	a.broadcastStatus()
	if rerun {
		a.AuthCookiesChanged(def.ID, trigger)
	}
}

// needsHealing is the auto-repair policy: Unknown connectors and those whose
// cookies expired or went missing are repaired; a checkpoint never is, nor
// anything a person must answer, nor a healthy connector.
func needsHealing(h store.Health, recorded bool) bool {
	if !recorded || h.Health == string(taxonomy.HealthUnknown) || h.Health == "" {
		return true
	}
	if h.Health != string(taxonomy.NeedsAttention) {
		return false
	}
	switch taxonomy.Code(h.Reason) {
	case taxonomy.SessionExpired, taxonomy.ProfileCookieMissing:
		return true
	}
	return false
}
