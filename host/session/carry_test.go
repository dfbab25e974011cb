package session

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/store"
	"github.com/authbridge/authbridge/host/verify"
	"github.com/authbridge/authbridge/taxonomy"
)

// boundProfile is a connector's own profile on a site that binds its
// session to the browser that signed in: a copy written by a repair works
// until expire is called (its short-lived cookie ran out); a session signed
// in inside it (SignIn) keeps working. It is a ProfileWriter, ProfileProber
// and ConnectorSignIn.
type boundProfile struct {
	mu        sync.Mutex
	copied    bool // a repair wrote a copy that still works
	native    bool // signed in inside the profile
	busy      bool // a run holds the profile
	empty     bool // no session in it yet
	signInErr error
	probes    int
	signIns   int
}

type noSession struct{}

func (noSession) Error() string          { return "no session in the profile" }
func (noSession) NoProfileSession() bool { return true }

type timedOut struct{}

func (timedOut) Error() string       { return "no sign-in in time" }
func (timedOut) SignInTimeout() bool { return true }

func (p *boundProfile) Replace(ctx context.Context, dir string, domains []string, cs []apitype.Cookie) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.copied, p.native, p.empty = len(cs) > 0, false, false
	return nil
}

func (p *boundProfile) ProbeProfile(ctx context.Context, def connector.Definition, dir string, opts verify.Options) (verify.Report, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.busy:
		return verify.Report{}, busyErr{}
	case p.empty:
		return verify.Report{}, noSession{}
	}
	p.probes++
	if p.copied || p.native {
		return verify.Report{Result: taxonomy.NewResult(taxonomy.OK, taxonomy.DetailLoggedIn, 0, nil, def.Name), Probe: verify.ProbeProfile}, nil
	}
	return verify.Report{Result: taxonomy.NewResult(taxonomy.SessionExpired, taxonomy.DetailLoginRedirect, 0, nil, def.Name), Probe: verify.ProbeProfile}, nil
}

func (p *boundProfile) SignIn(ctx context.Context, def connector.Definition, dir string, timeout time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.busy {
		return busyErr{}
	}
	p.signIns++
	if p.signInErr != nil {
		return p.signInErr
	}
	p.native, p.copied, p.empty = true, false, false
	return nil
}

// expire ends the copy's short-lived cookie.
func (p *boundProfile) expire() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.copied = false
}

func (p *boundProfile) set(f func(p *boundProfile)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

var bound = connector.Definition{ID: "demo", Name: "Demo", Domains: []string{"demo.test"}, AuthCookies: []string{"sid"},
	LoginURL: "http://demo.test/login", Session: &connector.Session{ProfileDir: "/app/browser-profiles/demo"}}

func boundRig(t *testing.T, mod func(*Config)) (*rig, *boundProfile) {
	t.Helper()
	p := &boundProfile{}
	r := newRig(t, func(c *Config) {
		c.ProfileWriter = p
		c.Catalog = fakeCatalog{[]connector.Definition{bound}}
		if mod != nil {
			mod(c)
		}
	})
	r.browser.set("sid") // the user's browser is signed in, and stays so
	return r, p
}

// failTwice repairs the bound connector from the user's browser and lets
// the copy fail, twice: what names it session_not_transferable.
func failTwice(ctx context.Context, r *rig, p *boundProfile) {
	for range 2 {
		r.m.Repair(ctx, bound, "")
		p.expire()
		r.m.Verify(ctx, bound, "")
	}
}

func (r *rig) count(action string) int {
	n := 0
	for _, a := range r.actions() {
		if a == action {
			n++
		}
	}
	return n
}

// settle lets a debounced heal run to its end (inside a synctest bubble).
func settle() {
	time.Sleep(HealDebounce + time.Millisecond)
	synctest.Wait()
}

// TestNotTransferableNamedBySecondFailure walks the loop a bound session
// makes: a repair from the user's browser works, the copy fails soon
// after while the user's browser stays signed in, auto-repair copies it
// again, it fails again, and that second failure is named
// session_not_transferable with its one action. From then on a change in
// the user's browser starts no repair.
func TestNotTransferableNamedBySecondFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		r, p := boundRig(t, nil)
		if res, err := r.m.Repair(ctx, bound, ""); err != nil || !res.Result.Healthy() {
			t.Fatalf("first repair = %v, %v; want healthy", res.Result.Code, err)
		}
		if v, _ := r.m.Verify(ctx, bound, ""); !v.Result.Healthy() || v.Probe != string(verify.ProbeProfile) {
			t.Fatalf("verify of the fresh copy = %s by %q, want OK by the profile probe", v.Result.Code, v.Probe)
		}

		p.expire()
		v, err := r.m.Verify(ctx, bound, "")
		if err != nil || v.Result.Code != taxonomy.SessionExpired || v.Result.Detail != taxonomy.DetailLoginRedirect {
			t.Fatalf("first failure = %s/%s, %v; want SESSION_EXPIRED/login_redirect, not named yet", v.Result.Code, v.Result.Detail, err)
		}

		r.m.AuthCookiesChanged("demo", "live")
		settle()
		if n := r.count(RecoveryAutoRepair); n != 1 || r.row(t).HealthKey != taxonomy.Healthy {
			t.Fatalf("after the user's browser renewed: %d auto-repairs, health %s; want 1 and healthy", n, r.row(t).HealthKey)
		}

		p.expire()
		v, err = r.m.Verify(ctx, bound, "")
		if err != nil || v.Result.Code != taxonomy.SessionExpired || v.Result.Detail != taxonomy.DetailSessionNotTransferable {
			t.Fatalf("second failure = %s/%s, %v; want SESSION_EXPIRED/session_not_transferable", v.Result.Code, v.Result.Detail, err)
		}
		if a := v.Result.Prompt.Action; a.ID != taxonomy.ActionSignInConnector {
			t.Errorf("action = %+v, want %s", a, taxonomy.ActionSignInConnector)
		}
		if row := r.row(t); row.Detail != taxonomy.DetailSessionNotTransferable || row.Prompt.Action.ID != taxonomy.ActionSignInConnector {
			t.Errorf("row = %s %+v, want the detail and its action", row.Detail, row.Prompt.Action)
		}

		for range 3 {
			r.m.AuthCookiesChanged("demo", "live")
			settle()
		}
		if n := r.count(RecoveryAutoRepair); n != 1 {
			t.Errorf("%d auto-repairs after the session was named, want still 1", n)
		}
	})
}

// TestCarryOverEvidence covers what is not evidence: a failure the user's
// browser shares, a failure long after the carry-over, a session signed in
// inside the connector's browser, and no browser to compare with.
func TestCarryOverEvidence(t *testing.T) {
	tests := []struct {
		name string
		// between runs after each carry-over, before the copy fails.
		between func(r *rig, p *boundProfile)
		want    string // detail of the second failure
	}{
		{"the user's browser is signed out too", func(r *rig, p *boundProfile) { r.browser.set("theme") }, taxonomy.DetailLoginRedirect},
		{"long after the carry-over", func(r *rig, p *boundProfile) { time.Sleep(2 * time.Hour) }, taxonomy.DetailLoginRedirect},
		{"no browser to compare with", func(r *rig, p *boundProfile) { r.browser.mu.Lock(); r.browser.down = true; r.browser.mu.Unlock() }, taxonomy.DetailLoginRedirect},
		{"a carry-over soon after each time", func(r *rig, p *boundProfile) {}, taxonomy.DetailSessionNotTransferable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				r, p := boundRig(t, nil)
				var last apitype.ActionResult
				for i := range 2 {
					r.browser.set("sid")
					r.browser.mu.Lock()
					r.browser.down = false
					r.browser.mu.Unlock()
					if res, err := r.m.Repair(ctx, bound, ""); err != nil || !res.Result.Healthy() {
						t.Fatalf("repair %d = %v, %v", i+1, res.Result.Code, err)
					}
					tt.between(r, p)
					p.expire()
					var err error
					if last, err = r.m.Verify(ctx, bound, ""); err != nil {
						t.Fatal(err)
					}
				}
				if last.Result.Code != taxonomy.SessionExpired || last.Result.Detail != tt.want {
					t.Errorf("second failure = %s/%s, want SESSION_EXPIRED/%s", last.Result.Code, last.Result.Detail, tt.want)
				}
			})
		})
	}
}

// TestSignInConnector is the one action: it signs in inside the
// connector's browser, verifies that profile and records an interactive
// repair; the evidence starts again, so the next carried-over failure is
// not named at once.
func TestSignInConnector(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		r, p := boundRig(t, nil)
		failTwice(ctx, r, p)
		if d := r.row(t).Detail; d != taxonomy.DetailSessionNotTransferable {
			t.Fatalf("detail = %s, want session_not_transferable", d)
		}
		res, err := r.m.SignInConnector(ctx, bound, "run-1", time.Minute)
		if err != nil || !res.Result.Healthy() || res.Probe != string(verify.ProbeProfile) {
			t.Fatalf("sign-in = %s by %q, %v; want healthy by the profile probe", res.Result.Code, res.Probe, err)
		}
		row := r.row(t)
		if row.HealthKey != taxonomy.Healthy || row.LastInteractiveLoginAt == nil || row.RepairInProgress {
			t.Errorf("row after the sign-in: %s, interactive login %v, repairing %v", row.HealthKey, row.LastInteractiveLoginAt, row.RepairInProgress)
		}
		if got := r.actions(); got[len(got)-1] != RecoveryInteractiveRepair {
			t.Errorf("last outcome %s, want %s", got[len(got)-1], RecoveryInteractiveRepair)
		}
		// Signed in there, the session keeps working however long it waits.
		time.Sleep(3 * time.Hour)
		if v, _ := r.m.Verify(ctx, bound, ""); !v.Result.Healthy() {
			t.Errorf("verify long after the sign-in = %s, want OK", v.Result.Code)
		}
		// Someone copies the user's session over it again: one failure is
		// not enough to name it.
		r.m.Repair(ctx, bound, "")
		p.expire()
		if v, _ := r.m.Verify(ctx, bound, ""); v.Result.Detail != taxonomy.DetailLoginRedirect {
			t.Errorf("first failure after a fresh start = %s, want login_redirect", v.Result.Detail)
		}
	})
}

type windowClosed struct{}

func (windowClosed) Error() string      { return "window closed" }
func (windowClosed) SignInClosed() bool { return true }

// TestSignInWindowClosed: a person who closes the connector's window
// before any sign-in was seen gets the profile verified as they left it:
// healthy when it was signed in already (the site skipped its login
// form), and the failure, not an error, when it was not.
func TestSignInWindowClosed(t *testing.T) {
	for _, signedIn := range []bool{true, false} {
		r, p := boundRig(t, nil)
		p.set(func(p *boundProfile) { p.signInErr, p.native = windowClosed{}, signedIn })
		res, err := r.m.SignInConnector(context.Background(), bound, "", time.Second)
		if err != nil {
			t.Fatalf("signed in %v: SignInConnector = %v, want the profile's verify result", signedIn, err)
		}
		if res.Result.Healthy() != signedIn || res.Probe != string(verify.ProbeProfile) {
			t.Errorf("signed in %v: result %s by %q", signedIn, res.Result.Code, res.Probe)
		}
		if row := r.row(t); row.RepairInProgress || (row.HealthKey == taxonomy.Healthy) != signedIn {
			t.Errorf("signed in %v: row %s, repairing %v", signedIn, row.HealthKey, row.RepairInProgress)
		}
	}
}

func TestSignInConnectorErrors(t *testing.T) {
	noProfile := bound
	noProfile.Session = nil
	noLogin := bound
	noLogin.LoginURL = ""
	tests := []struct {
		name string
		def  connector.Definition
		set  func(p *boundProfile)
		code string
	}{
		{"no profile", noProfile, nil, apitype.CodeBadRequest},
		{"no login url", noLogin, nil, apitype.CodeBadRequest},
		{"a run holds the profile", bound, func(p *boundProfile) { p.busy = true }, apitype.CodeBusy},
		{"nobody signs in", bound, func(p *boundProfile) { p.signInErr = timedOut{} }, apitype.CodeTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, p := boundRig(t, nil)
			if tt.set != nil {
				p.set(tt.set)
			}
			_, err := r.m.SignInConnector(context.Background(), tt.def, "", time.Second)
			var ae *apitype.Error
			if !errors.As(err, &ae) || ae.Code != tt.code || ae.Message == "" {
				t.Fatalf("SignInConnector = %v, want a %s error with a message", err, tt.code)
			}
			if r.row(t).RepairInProgress {
				t.Errorf("the row still shows a repair in progress")
			}
		})
	}
}

// TestVerifyFallsBackToLiveCookies: a profile a run holds, or one with no
// session yet, is not probed; the live cookies are verified instead.
func TestVerifyFallsBackToLiveCookies(t *testing.T) {
	for _, set := range []func(p *boundProfile){
		func(p *boundProfile) { p.busy = true },
		func(p *boundProfile) { p.empty = true },
	} {
		r, p := boundRig(t, nil)
		p.set(set)
		v, err := r.m.Verify(context.Background(), bound, "")
		if err != nil || !v.Result.Healthy() || v.Probe == string(verify.ProbeProfile) {
			t.Errorf("verify = %s by %q, %v; want OK from the live cookies", v.Result.Code, v.Probe, err)
		}
	}
}

func TestNeedsHealingNotTransferable(t *testing.T) {
	h := store.Health{Health: string(taxonomy.NeedsAttention), Reason: string(taxonomy.SessionExpired), Detail: taxonomy.DetailSessionNotTransferable}
	if NeedsHealing(h, true) {
		t.Errorf("NeedsHealing(session_not_transferable) = true, want false")
	}
	h.Detail = taxonomy.DetailLoginRedirect
	if !NeedsHealing(h, true) {
		t.Errorf("NeedsHealing(login_redirect) = false, want true")
	}
}

// TestVerifyOfANamedSessionNeedsItsProfile: once named, a session is only
// verified in the connector's own profile; while a run holds it, verify
// answers busy instead of judging the user's browser's cookies.
func TestVerifyOfANamedSessionNeedsItsProfile(t *testing.T) {
	ctx := context.Background()
	r, p := boundRig(t, nil)
	failTwice(ctx, r, p)
	p.set(func(p *boundProfile) { p.busy = true })
	_, err := r.m.Verify(ctx, bound, "")
	var ae *apitype.Error
	if !errors.As(err, &ae) || ae.Code != apitype.CodeBusy {
		t.Fatalf("verify while a run holds the profile = %v, want busy", err)
	}
	if d := r.row(t).Detail; d != taxonomy.DetailSessionNotTransferable {
		t.Errorf("detail = %s, want still session_not_transferable", d)
	}
}

// deviceBoundBrowser is the user's browser holding a device-bound session
// (DBSC) for the connector's sites.
type deviceBoundBrowser struct {
	*fakeBrowser
	sites []string
}

func (b deviceBoundBrowser) DeviceBound(context.Context, connector.Definition) ([]string, error) {
	return b.sites, nil
}

// TestDeviceBoundNamedByFirstFailure: when the user's browser profile holds
// a device-bound session for the connector's site, the first failure of a
// carried-over copy (the user's browser still signed in) is named at once;
// without one it takes two.
func TestDeviceBoundNamedByFirstFailure(t *testing.T) {
	for _, tc := range []struct {
		sites []string
		want  string
	}{
		{[]string{"https://demo.test"}, taxonomy.DetailSessionNotTransferable},
		{nil, taxonomy.DetailLoginRedirect},
	} {
		synctest.Test(t, func(t *testing.T) {
			ctx := context.Background()
			r, p := boundRig(t, func(c *Config) {
				c.Browser = deviceBoundBrowser{c.Browser.(*fakeBrowser), tc.sites}
			})
			if res, err := r.m.Repair(ctx, bound, ""); err != nil || !res.Result.Healthy() {
				t.Fatalf("repair = %v, %v; want healthy", res.Result.Code, err)
			}
			p.expire()
			v, err := r.m.Verify(ctx, bound, "")
			if err != nil || v.Result.Code != taxonomy.SessionExpired || v.Result.Detail != tc.want {
				t.Fatalf("device-bound sites %v: first failure = %s/%s, %v; want SESSION_EXPIRED/%s", tc.sites, v.Result.Code, v.Result.Detail, err, tc.want)
			}
		})
	}
}
