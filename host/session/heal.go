package session

import (
	"errors"
	"time"

	"github.com/authbridge/authbridge/host/store"
	"github.com/authbridge/authbridge/taxonomy"
)

// HealDebounce coalesces a burst of cookie changes (a sign-in sets several
// cookies at once) into one repair.
const HealDebounce = 150 * time.Millisecond

// AuthCookiesChanged is the single entry point of the heal pipeline: the
// extension's live events and the profile watcher both call it when a
// connector's auth cookies appeared or changed. A connector that needs it
// is repaired once the burst settles.
func (m *Manager) AuthCookiesChanged(connectorID, trigger string) {
	s := m.session(connectorID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.healTimer != nil {
		// A timer that already fired (its heal waits for s.mu) runs once
		// more after Reset: that run is counted as well.
		if !s.healTimer.Reset(HealDebounce) {
			m.background.Add(1)
		}
		return
	}
	m.background.Add(1)
	s.healTimer = time.AfterFunc(HealDebounce, func() {
		defer m.background.Done()
		s.mu.Lock()
		s.healTimer = nil
		s.mu.Unlock()
		m.heal(connectorID, trigger)
	})
}

// Backoff is how long auto-repair waits after n failed attempts.
func Backoff(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	d := time.Second << min(n-1, 8)
	return min(d, 5*time.Minute)
}

func (m *Manager) heal(connectorID, trigger string) {
	ctx := m.ctx
	if ctx.Err() != nil {
		return
	}
	def, err := m.cfg.Catalog.Connector(connectorID)
	if err != nil {
		return
	}
	s := m.session(def.ID)
	s.mu.Lock()
	awaiting, runID := s.awaiting, s.awaitRunID
	if s.current != nil {
		// A repair is running with cookies read before this change: look
		// again once it is done.
		s.rerun = true
		s.mu.Unlock()
		return
	}
	wait := Backoff(s.failures) - time.Since(s.lastAttempt)
	s.mu.Unlock()
	if !awaiting {
		if m.cfg.NoAutoRepair {
			return
		}
		h, err := m.cfg.Store.GetHealth(ctx, def.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return
		}
		if !NeedsHealing(h, err == nil) {
			if h.Detail == taxonomy.DetailSessionNotTransferable {
				m.cfg.Log.Info("auto-repair skipped: the session does not carry over; sign in inside the connector's browser", "connector", def.ID, "trigger", trigger)
			}
			return
		}
		if wait > 0 {
			// Failed attempts back off, but the change is not lost: look
			// again when the back-off ends.
			m.cfg.Log.Info("auto-repair backing off", "connector", def.ID, "wait", wait)
			time.AfterFunc(wait, func() { m.AuthCookiesChanged(def.ID, trigger) })
			return
		}
	}
	action := RecoveryAutoRepair
	if awaiting {
		action = RecoveryInteractiveRepair
	}
	m.cfg.Log.Info("repairing after auth cookies changed", "connector", def.ID, "trigger", trigger, "action", action)
	res, err := m.repair(ctx, def, action, runID)
	s.mu.Lock()
	rerun := s.rerun
	s.rerun = false
	s.mu.Unlock()
	if err != nil {
		m.cfg.Log.Warn("auto-repair failed", "connector", def.ID, "err", err)
	} else {
		m.cfg.Log.Info("auto-repair done", "connector", def.ID, "code", res.Result.Code, "detail", res.Result.Detail)
	}
	if rerun {
		m.AuthCookiesChanged(def.ID, trigger)
	}
}

// NeedsHealing is the auto-repair policy: Unknown connectors and those whose
// cookies expired or went missing are repaired; a checkpoint never is, nor
// anything a person must answer, nor a healthy connector, nor a session
// named session_not_transferable (repairing it from the user's browser
// again would only fail again: it waits for a sign-in inside the
// connector's browser, a clear, or a repair someone asks for).
func NeedsHealing(h store.Health, recorded bool) bool {
	if !recorded || h.Health == string(taxonomy.HealthUnknown) || h.Health == "" {
		return true
	}
	if h.Detail == taxonomy.DetailSessionNotTransferable {
		return false
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
