package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/taxonomy"
)

// fakeBrowserCheck is Config.BrowserCheck answering what the test set: the
// user's browser's request to the verify URL.
type fakeBrowserCheck struct {
	mu         sync.Mutex
	status     int
	redirected bool
	err        error
	calls      []string // connector ids asked for
}

func (f *fakeBrowserCheck) check(ctx context.Context, def connector.Definition) (int, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, def.ID)
	return f.status, f.redirected, f.err
}

func (f *fakeBrowserCheck) set(status int, redirected bool, err error) {
	f.mu.Lock()
	f.status, f.redirected, f.err = status, redirected, err
	f.mu.Unlock()
}

func (f *fakeBrowserCheck) asked() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// newRunRig is a rig whose user's browser answers its own request to the
// verify URL with check (200 unless the test sets otherwise), holding the
// session "one".
func newRunRig(t *testing.T) (*rig, *fakeBrowserCheck) {
	check := &fakeBrowserCheck{status: 200}
	r := newRig(t, func(c *Config) { c.BrowserCheck = check.check })
	r.setSID("one")
	return r, check
}

func (r *rig) setSID(v string) {
	r.browser.mu.Lock()
	r.browser.cookies = []apitype.Cookie{{Name: "sid", Value: v, Domain: "demo.test", Path: "/"}}
	r.browser.mu.Unlock()
}

// runOnce is one run: it is given the session's cookies, its copy fails,
// and it asks for a repair.
func (r *rig) runOnce(t *testing.T, runID string) taxonomy.Result {
	t.Helper()
	ctx := context.Background()
	if _, err := r.m.LiveCookies(ctx, demo); err != nil {
		t.Fatal(err)
	}
	res, err := r.m.Repair(ctx, demo, runID)
	if err != nil {
		t.Fatal(err)
	}
	return res.Result
}

// TestRunEvidenceNamesNotTransferable checks the evidence rule for runs: a
// run given the session asks for a repair while the user's browser holds
// that same session and it verifies there; the second such run in a row is
// named session_not_transferable, auto-repair then declines, a verify keeps
// the name, and a new sign-in in the user's browser starts over.
func TestRunEvidenceNamesNotTransferable(t *testing.T) {
	r, check := newRunRig(t)
	ctx := context.Background()
	runOnce := func(runID string) taxonomy.Result { t.Helper(); return r.runOnce(t, runID) }
	if got := runOnce("run-1"); !got.Healthy() {
		t.Fatalf("first run's repair = %s/%s, want healthy (one strike is no evidence)", got.Code, got.Detail)
	}
	if n := check.asked(); n != 1 {
		t.Fatalf("the user's browser was asked %d times, want once per run", n)
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
	// A repair without a run (the user's, or auto-heal) is no evidence,
	// and does not ask the user's browser.
	asked := check.asked()
	if res, err := r.m.Repair(ctx, demo, ""); err != nil || res.Result.Detail == taxonomy.DetailSessionNotTransferable {
		t.Errorf("a repair asked for outside a run = %s/%s (%v), want the live check's", res.Result.Code, res.Result.Detail, err)
	}
	if check.asked() != asked {
		t.Errorf("a repair outside a run asked the user's browser")
	}
	// The user signs in again: a new session, a new start.
	r.setSID("two")
	if got := runOnce("run-3"); !got.Healthy() {
		t.Errorf("a run after a new sign-in = %s/%s, want healthy", got.Code, got.Detail)
	}
}

// TestRunEvidenceNeedsTheSameSession checks that a run whose cookies the
// user's browser has replaced since (or whose session fails there too) is
// no evidence.
func TestRunEvidenceNeedsTheSameSession(t *testing.T) {
	r, _ := newRunRig(t)
	ctx := context.Background()
	for i, v := range []string{"a", "b", "c"} {
		r.setSID(v)
		r.m.LiveCookies(ctx, demo)
		r.setSID(v + "-renewed")
		res, err := r.m.Repair(ctx, demo, "run")
		if err != nil || !res.Result.Healthy() {
			t.Errorf("run %d: %s/%s (%v), want healthy: the user's browser holds another session", i, res.Result.Code, res.Result.Detail, err)
		}
	}
}

// TestRunEvidenceNeedsTheUsersBrowser checks that a strike needs the
// user's browser's own request to the verify URL to succeed: a 2xx answer
// that is no redirect. A check that fails (signed out there too) ends the
// run of strikes; one that cannot be made (no browser, a fetch error) is no
// evidence either way.
func TestRunEvidenceNeedsTheUsersBrowser(t *testing.T) {
	type answer struct {
		status     int
		redirected bool
		err        error
	}
	var (
		ok       = answer{status: 200}
		noCont   = answer{status: 204}
		redirect = answer{redirected: true}
		signed   = answer{status: 401}
		forbid   = answer{status: 403}
		down     = answer{status: 503}
		fetchErr = answer{err: errors.New("fetch failed")}
		noBrows  = answer{err: ErrNoBrowser}
	)
	cases := []struct {
		name  string
		runs  []answer // the user's browser's answer at each run's repair
		named int      // the run (1-based) named session_not_transferable, 0: none
		nilFn bool     // no BrowserCheck configured
	}{
		{name: "succeeds twice", runs: []answer{ok, ok}, named: 2},
		{name: "2xx other than 200", runs: []answer{noCont, ok}, named: 2},
		{name: "redirect", runs: []answer{redirect, redirect, redirect}},
		{name: "signed out there", runs: []answer{signed, signed, signed}},
		{name: "forbidden there", runs: []answer{forbid, forbid, forbid}},
		{name: "server error there", runs: []answer{down, down, down}},
		{name: "fetch error", runs: []answer{fetchErr, fetchErr, fetchErr}},
		{name: "no browser", runs: []answer{noBrows, noBrows, noBrows}},
		{name: "a redirect between ends the strikes", runs: []answer{ok, redirect, ok, ok}, named: 4},
		{name: "a sign-out between ends the strikes", runs: []answer{ok, signed, ok, ok}, named: 4},
		{name: "an error between is no evidence", runs: []answer{ok, fetchErr, ok}, named: 3},
		{name: "no check configured", runs: []answer{ok, ok, ok}, nilFn: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check := &fakeBrowserCheck{}
			r := newRig(t, func(c *Config) {
				if !tc.nilFn {
					c.BrowserCheck = check.check
				}
			})
			r.setSID("one")
			for i, a := range tc.runs {
				check.set(a.status, a.redirected, a.err)
				got := r.runOnce(t, fmt.Sprintf("run-%d", i+1))
				named := got.Detail == taxonomy.DetailSessionNotTransferable
				if want := i+1 == tc.named; named != want {
					t.Fatalf("run %d: %s/%s, named %v, want named %v", i+1, got.Code, got.Detail, named, want)
				}
				if named {
					return
				}
				if !got.Healthy() {
					t.Fatalf("run %d: %s/%s, want healthy (the live session verifies)", i+1, got.Code, got.Detail)
				}
			}
			if !tc.nilFn && check.asked() != len(tc.runs) {
				t.Errorf("the user's browser was asked %d times, want %d", check.asked(), len(tc.runs))
			}
		})
	}
}

// TestRunEvidenceAsksOnlyForTheSameSession checks that the user's browser
// is asked only when the evidence holds otherwise: a run whose session the
// user's browser no longer holds, or whose live session fails to verify,
// sends it no request.
func TestRunEvidenceAsksOnlyForTheSameSession(t *testing.T) {
	r, check := newRunRig(t)
	ctx := context.Background()
	r.m.LiveCookies(ctx, demo)
	r.setSID("two") // a new sign-in since the run was given "one"
	if res, err := r.m.Repair(ctx, demo, "run-1"); err != nil || !res.Result.Healthy() {
		t.Fatalf("repair = %s/%s (%v), want healthy", res.Result.Code, res.Result.Detail, err)
	}
	r.m.LiveCookies(ctx, demo)
	r.browser.mu.Lock()
	r.browser.cookies = nil // signed out in the user's browser: the verify fails
	r.browser.mu.Unlock()
	if res, err := r.m.Repair(ctx, demo, "run-2"); err != nil || res.Result.Healthy() {
		t.Fatalf("repair = %s/%s (%v), want the failed verify", res.Result.Code, res.Result.Detail, err)
	}
	if n := check.asked(); n != 0 {
		t.Errorf("the user's browser was asked %d times, want none", n)
	}
}
