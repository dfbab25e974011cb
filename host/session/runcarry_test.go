package session

import (
	"context"
	"testing"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/taxonomy"
)

// TestRunEvidenceNamesNotTransferable checks the evidence rule for runs: a
// run given the session asks for a repair while the user's browser holds
// that same session and it verifies there; the second such run in a row is
// named session_not_transferable, auto-repair then declines, a verify keeps
// the name, and a new sign-in in the user's browser starts over.
func TestRunEvidenceNamesNotTransferable(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	setValue := func(v string) {
		r.browser.mu.Lock()
		r.browser.cookies = []apitype.Cookie{{Name: "sid", Value: v, Domain: "demo.test", Path: "/"}}
		r.browser.mu.Unlock()
	}
	setValue("one")
	runOnce := func(runID string) taxonomy.Result {
		t.Helper()
		if _, err := r.m.LiveCookies(ctx, demo); err != nil { // the run's cookies
			t.Fatal(err)
		}
		res, err := r.m.Repair(ctx, demo, runID) // its copy failed: it asks for a repair
		if err != nil {
			t.Fatal(err)
		}
		return res.Result
	}
	if got := runOnce("run-1"); !got.Healthy() {
		t.Fatalf("first run's repair = %s/%s, want healthy (one strike is no evidence)", got.Code, got.Detail)
	}
	got := runOnce("run-2")
	if got.Detail != taxonomy.DetailSessionNotTransferable || got.Code != taxonomy.SessionExpired {
		t.Fatalf("second run's repair = %s/%s, want SESSION_EXPIRED/session_not_transferable", got.Code, got.Detail)
	}
	if got.Prompt.Action.ID != taxonomy.ActionSignInConnector {
		t.Errorf("action %q, want %s", got.Prompt.Action.ID, taxonomy.ActionSignInConnector)
	}
	h, err := r.store.GetHealth(ctx, "demo")
	if err != nil || NeedsHealing(h, true) {
		t.Errorf("auto-repair would still run for the named session (%v)", err)
	}
	v, err := r.m.Verify(ctx, demo, "")
	if err != nil || v.Result.Detail != taxonomy.DetailSessionNotTransferable {
		t.Errorf("verify of the named session = %s/%s (%v), want the name kept", v.Result.Code, v.Result.Detail, err)
	}
	// A repair without a run (the user's, or auto-heal) is no evidence.
	if res, err := r.m.Repair(ctx, demo, ""); err != nil || res.Result.Detail == taxonomy.DetailSessionNotTransferable {
		t.Errorf("a repair asked for outside a run = %s/%s (%v), want the live check's", res.Result.Code, res.Result.Detail, err)
	}
	// The user signs in again: a new session, a new start.
	setValue("two")
	if got := runOnce("run-3"); !got.Healthy() {
		t.Errorf("a run after a new sign-in = %s/%s, want healthy", got.Code, got.Detail)
	}
}

// TestRunEvidenceNeedsTheSameSession checks that a run whose cookies the
// user's browser has replaced since (or whose session fails there too) is
// no evidence.
func TestRunEvidenceNeedsTheSameSession(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	for i, v := range []string{"a", "b", "c"} {
		r.browser.mu.Lock()
		r.browser.cookies = []apitype.Cookie{{Name: "sid", Value: v, Domain: "demo.test", Path: "/"}}
		r.browser.mu.Unlock()
		r.m.LiveCookies(ctx, demo)
		r.browser.mu.Lock()
		r.browser.cookies = []apitype.Cookie{{Name: "sid", Value: v + "-renewed", Domain: "demo.test", Path: "/"}}
		r.browser.mu.Unlock()
		res, err := r.m.Repair(ctx, demo, "run")
		if err != nil || !res.Result.Healthy() {
			t.Errorf("run %d: %s/%s (%v), want healthy: the user's browser holds another session", i, res.Result.Code, res.Result.Detail, err)
		}
	}
}
