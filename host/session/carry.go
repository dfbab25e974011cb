package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/verify"
	"github.com/authbridge/authbridge/taxonomy"
)

// DefaultCarryOverWindow is how long after a repair from the user's browser
// a failure of the connector's own session counts as evidence that the
// session does not carry over. Device-bound cookies live about ten minutes.
const DefaultCarryOverWindow = time.Hour

// StrikesNotTransferable is how many carried-over sessions in a row must
// fail, while the same session verifies in the user's browser, before the
// connector is named session_not_transferable: the second failure names it.
const StrikesNotTransferable = 2

// ProfileProber verifies a connector's own persistent profile as it is: a
// headless browser on that profile opens the verify URL, so that what the
// site's page does there (renew a short-lived cookie from a secret in its
// own storage) happens as in a run (chromeprofile.ProfileWriter). It
// answers an error with a ProfileBusy() bool method returning true when a
// running browser holds the profile, and one with a NoProfileSession()
// bool method returning true when the profile holds no session yet; Verify
// then checks the live cookies instead.
type ProfileProber interface {
	ProbeProfile(ctx context.Context, def connector.Definition, profileDir string, opts verify.Options) (verify.Report, error)
}

// ConnectorSignIn opens a browser window on a connector's own profile at
// its login URL and returns once the person has signed in there (its auth
// cookies appeared in that profile), or the timeout passed
// (chromeprofile.ProfileWriter). A profile held by a running browser is an
// error with a ProfileBusy() bool method returning true; no sign-in in time
// one with a SignInTimeout() bool method returning true; a window the
// person closed first one with a SignInClosed() bool method returning true.
type ConnectorSignIn interface {
	SignIn(ctx context.Context, def connector.Definition, profileDir string, timeout time.Duration) error
}

// DeviceBoundChecker is implemented by a Browser that can tell which of a
// connector's sites hold a device-bound session (DBSC) in the user's
// browser profile: such a session lives on the browser's own key, so a copy
// of its cookies dies with its short-lived bound cookie.
type DeviceBoundChecker interface {
	DeviceBound(ctx context.Context, def connector.Definition) ([]string, error)
}

func noProfileSession(err error) bool {
	var e interface{ NoProfileSession() bool }
	return errors.As(err, &e) && e.NoProfileSession()
}

func signInClosed(err error) bool {
	var e interface{ SignInClosed() bool }
	return errors.As(err, &e) && e.SignInClosed()
}

func signInTimedOut(err error) bool {
	var e interface{ SignInTimeout() bool }
	return errors.As(err, &e) && e.SignInTimeout()
}

// ownProfile is the connector's own persistent profile, when it has one and
// the manager can probe it.
func (m *Manager) ownProfile(def connector.Definition) (ProfileProber, string, bool) {
	p, ok := m.cfg.ProfileWriter.(ProfileProber)
	if !ok || def.Session == nil || def.Session.ProfileDir == "" || m.profileRefusal(def) != nil {
		return nil, "", false
	}
	return p, def.Session.ProfileDir, true
}

// probeOwn verifies the connector's own profile. ok is false when there is
// none to probe: no profile, nothing in it yet, or a running browser (a
// run) holds it.
func (m *Manager) probeOwn(ctx context.Context, def connector.Definition) (verify.Report, bool, error) {
	p, dir, ok := m.ownProfile(def)
	if !ok {
		return verify.Report{}, false, nil
	}
	rep, err := p.ProbeProfile(ctx, def, dir, m.verifyOptions(""))
	switch {
	case err == nil:
		return rep, true, nil
	case isProfileBusy(err), noProfileSession(err):
		m.cfg.Log.Info("connector profile not probed; verifying the live session", "connector", def.ID, "err", err)
		return verify.Report{}, false, nil
	}
	return verify.Report{}, false, err
}

// carriedOver notes that a repair carried the user's browser session over
// into the connector's own profile.
func (m *Manager) carriedOver(def connector.Definition) {
	if _, _, ok := m.ownProfile(def); !ok {
		return
	}
	s := m.session(def.ID)
	s.mu.Lock()
	s.carriedAt = time.Now()
	s.mu.Unlock()
}

// judgeCarryOver is the evidence rule for sessions that do not carry over:
// the connector's own session, freshly carried over from the user's browser,
// failed (res) while the same session still verifies in the user's browser.
// The second such failure in a row is named session_not_transferable, or
// the first when the user's browser profile holds a device-bound session
// for the connector's sites (DeviceBoundChecker); a failure the user's
// browser shares (it is signed out too) ends the run of strikes.
func (m *Manager) judgeCarryOver(ctx context.Context, def connector.Definition, res taxonomy.Result) taxonomy.Result {
	if res.Healthy() || (res.Code != taxonomy.SessionExpired && res.Code != taxonomy.ProfileCookieMissing) {
		return res
	}
	s := m.session(def.ID)
	s.mu.Lock()
	carried, strikes := s.carriedAt, s.strikes
	s.mu.Unlock()
	if carried.IsZero() || time.Since(carried) > m.cfg.CarryOverWindow {
		return res
	}
	var bound []string
	if db, ok := m.cfg.Browser.(DeviceBoundChecker); ok {
		var err error
		if bound, err = db.DeviceBound(ctx, def); err != nil {
			m.cfg.Log.Warn("device-bound sessions not read", "connector", def.ID, "err", err)
		}
	}
	// A device-bound session in the user's profile is the evidence itself.
	// Its live check would often fail anyway: the user's browser renews the
	// bound cookie only for the site's own requests, not for the
	// extension's fetch, so while the user is not on the site that cookie
	// has run out there too. Chromium drops the
	// session when the site ends it (a sign-out).
	liveOK := len(bound) > 0
	var rep verify.Report
	if !liveOK {
		live, err := m.cfg.Browser.LiveCookies(ctx, def)
		if err != nil {
			// Without the user's browser there is no evidence either way.
			return res
		}
		rep, err = m.cfg.Verify(ctx, def, live.Cookies, m.verifyOptions(live.UserAgent))
		liveOK = err == nil && rep.Result.Healthy()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !liveOK {
		m.cfg.Log.Info("a carried-over session failed, and so does the user's browser's: no carry-over evidence", "connector", def.ID, "live", rep.Result.Code, "live_detail", rep.Result.Detail, "device_bound", bound)
		s.strikes = 0
		return res
	}
	strikes++
	if len(bound) > 0 && strikes < StrikesNotTransferable {
		strikes = StrikesNotTransferable
	}
	s.strikes = strikes
	m.cfg.Log.Info("a carried-over session failed while the user's browser stays signed in or holds it device-bound", "connector", def.ID, "strike", strikes, "device_bound", bound, "code", res.Code, "detail", res.Detail)
	if strikes < StrikesNotTransferable {
		return res
	}
	return taxonomy.NewResult(taxonomy.SessionExpired, taxonomy.DetailSessionNotTransferable, 0, nil, def.Name)
}

// DefaultSignInWait bounds SignInConnector when the caller gives no
// timeout.
const DefaultSignInWait = 5 * time.Minute

// SignInConnector is the one action of session_not_transferable: it opens
// a browser window on the connector's own profile at its login URL, waits
// (up to timeout; 0: DefaultSignInWait) until the person has signed in
// there, then verifies that profile and records the outcome (an
// interactive repair). A session signed in there is the profile's own, so
// the carry-over evidence starts again. A window the person closed first
// is verified and recorded the same way, as they left it. A profile held
// by a running browser answers busy; no sign-in in time answers timeout.
func (m *Manager) SignInConnector(ctx context.Context, def connector.Definition, runID string, timeout time.Duration) (apitype.ActionResult, error) {
	prober, dir, ok := m.ownProfile(def)
	signer, canSign := m.cfg.ProfileWriter.(ConnectorSignIn)
	switch {
	case def.Session == nil || def.Session.ProfileDir == "":
		return apitype.ActionResult{}, &apitype.Error{Code: apitype.CodeBadRequest, Message: fmt.Sprintf("connector %s has no session.profile_dir, so it has no browser of its own to sign in inside", def.ID)}
	case def.LoginURL == "":
		return apitype.ActionResult{}, &apitype.Error{Code: apitype.CodeBadRequest, Message: fmt.Sprintf("connector %s has no login_url to open", def.ID)}
	case m.profileRefusal(def) != nil:
		return apitype.ActionResult{}, m.profileRefusal(def)
	case !ok || !canSign:
		return apitype.ActionResult{}, &apitype.Error{Code: apitype.CodeBadRequest, Message: "this agent cannot open a connector's browser"}
	}
	if timeout <= 0 {
		timeout = DefaultSignInWait
	}
	return m.exclusive(ctx, def, actionSignInConnector, func() (apitype.ActionResult, error) {
		return m.signIn(ctx, def, prober, signer, dir, runID, timeout)
	}, func(s *state, res apitype.ActionResult, err error) {
		if err == nil && res.Result.Healthy() {
			s.failures, s.strikes, s.carriedAt = 0, 0, time.Time{}
		}
	})
}

func (m *Manager) signIn(ctx context.Context, def connector.Definition, prober ProfileProber, signer ConnectorSignIn, dir, runID string, timeout time.Duration) (apitype.ActionResult, error) {
	err := signer.SignIn(ctx, def, dir, timeout)
	switch {
	case isProfileBusy(err):
		return apitype.ActionResult{}, &apitype.Error{Code: apitype.CodeBusy, Message: fmt.Sprintf("the browser profile of %s is in use by a running browser (a run?): %v", def.ID, err)}
	case signInTimedOut(err):
		return apitype.ActionResult{}, &apitype.Error{Code: apitype.CodeTimeout, Message: fmt.Sprintf("nobody signed in to %s inside the connector's browser within %v: run the repair again to retry", def.ID, timeout)}
	case signInClosed(err):
		// The person closed the window: perhaps they saw it signed in
		// already. The profile as they left it is verified and recorded.
		m.cfg.Log.Info("the connector's browser was closed before a sign-in was seen; verifying its profile", "connector", def.ID)
	case err != nil:
		return apitype.ActionResult{}, fmt.Errorf("sign in to %s inside the connector's browser: %w", def.ID, err)
	}
	rep, err := prober.ProbeProfile(ctx, def, dir, m.verifyOptions(""))
	if err != nil {
		return apitype.ActionResult{}, fmt.Errorf("verify %s after the sign-in: %w", def.ID, err)
	}
	row, err := m.record(ctx, def, rep.Result, RecoveryInteractiveRepair, runID)
	if err != nil {
		return apitype.ActionResult{}, err
	}
	return apitype.ActionResult{Result: rep.Result, Probe: string(rep.Probe), Row: row, Written: []string{dir}}, nil
}
