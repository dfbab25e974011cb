// Package session owns each connector's session: its recorded health, and
// the verify, repair, clear, interactive sign-in and auto-heal policy that
// change it. It reaches the browser, the state store and the popups only
// through the small interfaces below, so it is tested with fakes.
package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	neturl "net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/cookies"
	"github.com/authbridge/authbridge/host/procinfo"
	"github.com/authbridge/authbridge/host/store"
	"github.com/authbridge/authbridge/host/verify"
	"github.com/authbridge/authbridge/taxonomy"
)

// ErrNoBrowser means no browser extension is connected.
var ErrNoBrowser = errors.New("no browser is connected")

// ErrUnknownConnector is returned for a connector id that is not defined.
var ErrUnknownConnector = errors.New("unknown connector")

// Live is a connector's live cookies and the browser they came from.
type Live struct {
	Cookies []apitype.Cookie
	// UserAgent is the browser's user agent, sent with verify probes.
	UserAgent string
}

// Browser gives a connector's live cookies and opens sign-in tabs. Both
// return an error wrapping ErrNoBrowser when no browser is connected.
type Browser interface {
	LiveCookies(ctx context.Context, def connector.Definition) (Live, error)
	OpenTab(ctx context.Context, def connector.Definition, url string) (tabID int, err error)
}

// BrowserNamer is implemented by a Browser that knows which browser serves
// a connector: "Firefox", or "" for a Chromium-based one (the prompts' own
// word, "Chrome"). Prompts then name it ("Use your Firefox sign-in").
type BrowserNamer interface {
	BrowserName(def connector.Definition) string
}

// namePrompt puts the name of the browser that serves def into a prompt's
// repair label.
func (m *Manager) namePrompt(def connector.Definition, p taxonomy.Prompt) taxonomy.Prompt {
	n, ok := m.cfg.Browser.(BrowserNamer)
	if !ok || p.Action.ID != taxonomy.ActionRepair {
		return p
	}
	if name := n.BrowserName(def); name != "" {
		p.Action.Label = strings.Replace(p.Action.Label, "Chrome", name, 1)
	}
	return p
}

// named names the browser in an action's result and row.
func (m *Manager) named(def connector.Definition, ar apitype.ActionResult) apitype.ActionResult {
	ar.Result.Prompt = m.namePrompt(def, ar.Result.Prompt)
	ar.Row.Prompt = m.namePrompt(def, ar.Row.Prompt)
	return ar
}

// AccessChecker is a Browser that knows the browser's grants: the access
// state of a connector ("granted", "not_granted", or "" with no browser) and
// the domains not granted.
type AccessChecker interface {
	Access(def connector.Definition) (string, []string)
}

// Notifier is told of every row that changed, once per transition.
type Notifier interface {
	StatusChanged(rows []apitype.StatusRow)
}

// Store is the state the manager keeps.
type Store interface {
	GetHealth(ctx context.Context, id string) (store.Health, error)
	PutHealth(ctx context.Context, h store.Health) error
	AllHealth(ctx context.Context) (map[string]store.Health, error)
	RecordRelease(ctx context.Context, r store.Release) error
}

// Catalog is the set of connector definitions.
type Catalog interface {
	Connector(id string) (connector.Definition, error)
	Connectors() ([]connector.Definition, []apitype.Problem)
}

// Verifier probes whether cookies make a working session (verify.Verify).
type Verifier func(ctx context.Context, def connector.Definition, cs []apitype.Cookie, opts verify.Options) (verify.Report, error)

// Outcome is one host action's result, for the metrics recorder.
type Outcome struct {
	Connector string
	Action    string // verify, or a recovery action
	RunID     string
	Result    taxonomy.Result
	At        time.Time
}

// Recovery actions, as recorded in metrics events.
const (
	ActionVerify              = "verify"
	RecoveryRepairFromChrome  = "repair_from_chrome"
	RecoveryAutoRepair        = "auto_repair"
	RecoveryInteractiveRepair = "interactive_repair"
	RecoveryClearSession      = "clear_session"
)

// actionSignInConnector names a sign-in inside the connector's own browser
// in busy messages; its outcome is recorded as an interactive repair.
const actionSignInConnector = "sign_in_connector"

// Config configures a Manager.
type Config struct {
	Browser  Browser
	Store    Store
	Catalog  Catalog
	Notifier Notifier // nil: nobody is told
	// Verify probes sessions; nil means verify.Verify.
	Verify Verifier
	// VerifyTimeout bounds each probe (0: the verify package's default).
	VerifyTimeout time.Duration
	// VerifyProfileRoot is where browser probes make their throw-away
	// profiles (verify.BrowserOptions.ProfileRoot).
	VerifyProfileRoot string
	// VerifyWait is how long a verify waits for a running repair of the
	// same connector before it answers busy (0: 30s).
	VerifyWait time.Duration
	// OnOutcome is told of every verify, repair and clear.
	OnOutcome func(ctx context.Context, o Outcome)
	// ProfileWriter writes repaired cookies into persistent profiles.
	ProfileWriter ProfileWriter
	// BrowserProfiles lists the user's own browser folders (bound
	// profiles, known user data dirs): a session.profile_dir that is, holds
	// or lies inside one is refused by name. Nil: none is known.
	BrowserProfiles func() []BrowserProfile
	// NoAutoRepair turns automatic repair off: a changed sign-in then only
	// completes an interactive repair the user started.
	NoAutoRepair bool
	// CarryOverWindow is how long after a repair from the user's browser a
	// failure of the connector's own session counts as evidence that the
	// session does not carry over (0: DefaultCarryOverWindow).
	CarryOverWindow time.Duration
	// BrowserCheck sends one credentialed request from the user's browser
	// to def's verify URL (the refresh path) and answers its HTTP status
	// and whether it was a redirect (which the browser does not follow).
	// A run's failed copy of a session counts against carrying it over
	// only when this check succeeds there (runcarry.go); nil: it never
	// does, so no session is named not transferable by the runs' evidence.
	BrowserCheck func(ctx context.Context, def connector.Definition) (httpStatus int, redirected bool, err error)
	Log          *slog.Logger
}

// Manager holds every connector's session state.
type Manager struct {
	cfg Config
	ctx context.Context // the agent's lifetime, for heals
	// background counts the work the manager runs on its own (heals, a
	// profile write waiting for its browser to close), for Wait.
	background sync.WaitGroup

	mu    sync.Mutex
	state map[string]*state
}

// Wait waits until the work the manager started on its own has ended (a
// heal, and with it a browser it started to write a profile, stops once
// the manager's context is cancelled), or until ctx ends.
func (m *Manager) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { m.background.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// state is one connector's in-memory bookkeeping.
type state struct {
	mu          sync.Mutex
	repairing   bool
	current     *repairRun // the running repair, nil when none runs
	awaiting    bool       // an interactive repair is open
	awaitRunID  string
	lastAttempt time.Time
	failures    int
	healTimer   *time.Timer // pending debounced heal
	rerun       bool        // cookies changed during a repair
	// carriedAt is when a repair last carried the user's browser session
	// over into the connector's own profile (zero: its session was signed
	// in there, or cleared); strikes counts the carried-over sessions in a
	// row that failed while the same session verified in the user's
	// browser (carry.go).
	carriedAt time.Time
	strikes   int
	// profileWait is the sentence the row shows while a repair waits for
	// a live browser to free the connector's profile; pendingCookies are
	// the verified cookies to write then (kept in memory only).
	profileWait    string
	pendingCookies []apitype.Cookie
	// profileWriting is set while a repair that already recorded the
	// session Healthy writes it into the connector's profile;
	// profileWrittenAt is when one last did.
	profileWriting   bool
	profileWrittenAt time.Time
	// releasedPrint digests the auth cookies last handed out to a run and
	// releasedAt says when; runStrikes counts the runs in a row whose copy
	// failed while the user's browser held that same session (runcarry.go).
	releasedPrint authPrint
	releasedAt    time.Time
	runStrikes    int
}

// New returns a manager; ctx bounds the heals it runs on its own.
func New(ctx context.Context, cfg Config) *Manager {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Verify == nil {
		cfg.Verify = verify.Verify
	}
	if cfg.VerifyWait == 0 {
		cfg.VerifyWait = 30 * time.Second
	}
	if cfg.CarryOverWindow == 0 {
		cfg.CarryOverWindow = DefaultCarryOverWindow
	}
	return &Manager{cfg: cfg, ctx: ctx, state: map[string]*state{}}
}

func (m *Manager) session(id string) *state {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.state[id]
	if s == nil {
		s = &state{}
		m.state[id] = s
	}
	return s
}

// Caller says who asked for an action, for the audit rows.
type Caller struct {
	PID, UID int
	Via      string
	// Process names the caller's program (nil: asked of the OS at the
	// release); the local API asks once per connection.
	Process func() procinfo.Process
}

type callerKey struct{}

// WithCaller returns a context that carries who asked.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerOf returns who asked (the own user through the API when unknown).
func CallerOf(ctx context.Context) Caller {
	if c, ok := ctx.Value(callerKey{}).(Caller); ok {
		return c
	}
	return Caller{UID: os.Getuid(), Via: "api"}
}

func tptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Row builds the status row of one connector from its stored health.
func (m *Manager) Row(ctx context.Context, def connector.Definition) (apitype.StatusRow, error) {
	h, err := m.cfg.Store.GetHealth(ctx, def.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return apitype.StatusRow{}, err
	}
	r := m.row(def, h, err == nil)
	r.LastRelease = m.lastRelease(ctx, def.ID)
	return r, nil
}

func (m *Manager) row(def connector.Definition, h store.Health, recorded bool) apitype.StatusRow {
	name := def.Name
	if name == "" {
		name = def.ID
	}
	r := apitype.StatusRow{
		ID: def.ID, Name: name, Icon: def.Icon, Domains: def.Domains, SignInDomains: def.SignInDomains, LoginURL: def.LoginURL, Source: def.Source,
		LastVerifiedAt: tptr(h.LastVerifiedAt), LastHeadlessSuccessAt: tptr(h.LastHeadlessSuccessAt),
		LastInteractiveLoginAt: tptr(h.LastInteractiveLoginAt), LastFailureAt: tptr(h.LastFailureAt),
		LastFailureReason: h.LastFailureReason, Reason: h.Reason, Detail: h.Detail,
		SourceStore: sourceStoreLabel(def),
	}
	if def.Session != nil {
		r.ProfileDir = def.Session.ProfileDir
	}
	s := m.session(def.ID)
	s.mu.Lock()
	r.RepairInProgress, r.AwaitingInteractive = s.repairing, s.awaiting
	r.ProfileWait = s.profileWait
	r.ProfileWriting, r.ProfileWrittenAt = s.profileWriting, tptr(s.profileWrittenAt)
	s.mu.Unlock()
	switch {
	case !recorded || h.Health == "" || (h.Reason == "" && h.Health == string(taxonomy.HealthUnknown)):
		r.HealthKey = taxonomy.HealthUnknown
		r.Prompt = taxonomy.NotCheckedPrompt(name, h.Detail == "cleared")
	case h.Reason == "":
		res := taxonomy.NewResult(taxonomy.OK, h.Detail, 0, nil, name)
		r.HealthKey, r.Prompt = res.Health, res.Prompt
	default:
		res := taxonomy.NewResult(taxonomy.Code(h.Reason), h.Detail, 0, nil, name)
		r.HealthKey, r.Prompt = res.Health, res.Prompt
	}
	if r.AwaitingInteractive {
		r.Prompt = taxonomy.InteractivePendingPrompt(name)
	}
	r.Prompt = m.namePrompt(def, r.Prompt)
	if ac, ok := m.cfg.Browser.(AccessChecker); ok {
		var miss []string
		r.Access, miss = ac.Access(def)
		if r.Access == apitype.AccessNotGranted {
			// Nothing else can be done for it before the person allows it.
			r.HealthKey, r.Detail = taxonomy.NeedsAttention, taxonomy.DetailAccessNotGranted
			r.Prompt = taxonomy.AccessPrompt(name, miss)
		}
	}
	r.Health = r.HealthKey.Label()
	return r
}

// Rows returns the status rows, sorted by id: every connector defined in a
// file, and the built-in ones that have been used (a recorded health, or a
// repair or sign-in under way). With all, every built-in too.
func (m *Manager) Rows(ctx context.Context, all bool) ([]apitype.StatusRow, error) {
	healths, err := m.cfg.Store.AllHealth(ctx)
	if err != nil {
		return nil, err
	}
	defs, _ := m.cfg.Catalog.Connectors()
	rows := make([]apitype.StatusRow, 0, len(defs))
	for _, d := range defs {
		h, ok := healths[d.ID]
		if !all && !ok && d.Kind == connector.KindBuiltin && !m.session(d.ID).busy() {
			continue
		}
		r := m.row(d, h, ok)
		r.LastRelease = m.lastRelease(ctx, d.ID)
		rows = append(rows, r)
	}
	return rows, nil
}

func (s *state) busy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.awaiting || s.repairing
}

// push tells the notifier of one connector's row.
func (m *Manager) push(ctx context.Context, def connector.Definition) {
	if m.cfg.Notifier == nil {
		return
	}
	row, err := m.Row(ctx, def)
	if err != nil {
		m.cfg.Log.Warn("status row", "connector", def.ID, "err", err)
		return
	}
	m.cfg.Notifier.StatusChanged([]apitype.StatusRow{row})
}

func (m *Manager) verifyOptions(ua string) verify.Options {
	return verify.Options{Timeout: m.cfg.VerifyTimeout, UserAgent: ua, Browser: verify.BrowserOptions{ProfileRoot: m.cfg.VerifyProfileRoot}}
}

// LiveCookies returns a connector's live cookies from the browser.
func (m *Manager) LiveCookies(ctx context.Context, def connector.Definition) ([]apitype.Cookie, error) {
	live, err := m.cfg.Browser.LiveCookies(ctx, def)
	if err == nil {
		m.released(def, live.Cookies)
	}
	return live.Cookies, err
}

// RecordRelease records that n cookies of def left the host in format, and
// to which program (the caller's executable and command line, as the OS
// names them now, while it waits for the answer).
func (m *Manager) RecordRelease(ctx context.Context, def connector.Definition, n int, format string) error {
	return m.cfg.Store.RecordRelease(ctx, releaseOf(ctx, def, n, format, ""))
}

// releaseOf is the audit row of a release to the caller of ctx.
func releaseOf(ctx context.Context, def connector.Definition, n int, format, viaPrefix string) store.Release {
	c := CallerOf(ctx)
	var p procinfo.Process
	if c.Process != nil {
		p = c.Process()
	} else {
		p = procinfo.Describe(c.PID)
	}
	return store.Release{At: time.Now(), ConnectorID: def.ID, CallerPID: c.PID, CallerUID: c.UID, Count: n, Format: format, Via: viaPrefix + c.Via,
		CallerExe: p.Executable, CallerCmdline: p.Cmdline}
}

// lastReleaser is a Store that tells a connector's last release.
type lastReleaser interface {
	Releases(ctx context.Context, connectorID string, limit int) ([]store.Release, error)
}

// lastRelease is a row's last_release: nil when never released (or the
// store cannot tell).
func (m *Manager) lastRelease(ctx context.Context, id string) *apitype.LastRelease {
	lr, ok := m.cfg.Store.(lastReleaser)
	if !ok {
		return nil
	}
	rs, err := lr.Releases(ctx, id, 1)
	if err != nil || len(rs) == 0 {
		return nil
	}
	r := rs[0]
	return &apitype.LastRelease{At: r.At, Format: r.Format, Caller: apitype.Caller{PID: r.CallerPID, UID: r.CallerUID, Executable: r.CallerExe, Cmdline: r.CallerCmdline, Via: r.Via}}
}

// RecordFetchRelease records that n cookies of def left the host in format
// after the user's browser was sent to url, whose origin the row keeps.
func (m *Manager) RecordFetchRelease(ctx context.Context, def connector.Definition, n int, format, url string) error {
	r := releaseOf(ctx, def, n, format, "")
	r.URL = originOf(url)
	return m.cfg.Store.RecordRelease(ctx, r)
}

// originOf is u's scheme://host[:port], or u itself when it does not parse.
func originOf(u string) string {
	p, err := neturl.Parse(u)
	if err != nil || p.Host == "" {
		return u
	}
	return p.Scheme + "://" + p.Host
}

// repairRun is one running repair of a connector: whoever else asks for
// a repair of it meanwhile joins it and answers its result.
type repairRun struct {
	action string        // the recovery action that started it
	done   chan struct{} // closed when it ends; res and err are set then
	res    apitype.ActionResult
	err    error
}

// DetailRepairInProgress is the busy error's detail when a repair of the
// same connector is still running after the bounded wait for it.
const DetailRepairInProgress = "repair_in_progress"

// join waits for the running repair of def (up to VerifyWait) and returns
// its result; running is false when none runs. A wait that runs out
// answers busy with the reason and the one thing to do.
func (m *Manager) join(ctx context.Context, def connector.Definition, s *state) (res apitype.ActionResult, err error, running bool) {
	s.mu.Lock()
	run := s.current
	s.mu.Unlock()
	if run == nil {
		return apitype.ActionResult{}, nil, false
	}
	m.cfg.Log.Info("waiting for the running repair to answer with its result", "connector", def.ID, "running", run.action)
	t := time.NewTimer(m.cfg.VerifyWait)
	defer t.Stop()
	select {
	case <-run.done:
	case <-t.C:
		return apitype.ActionResult{}, &apitype.Error{Code: apitype.CodeBusy, Detail: DetailRepairInProgress,
			Message: fmt.Sprintf("a repair of %s (%s) is still running after %s: ask again to wait for its result", def.ID, repairWho(run.action), m.cfg.VerifyWait)}, true
	case <-ctx.Done():
		return apitype.ActionResult{}, fmt.Errorf("wait for the running repair of %s: %w", def.ID, ctx.Err()), true
	}
	if run.err != nil {
		return apitype.ActionResult{}, run.err, true
	}
	res = run.res
	if row, rerr := m.Row(ctx, def); rerr == nil {
		res.Row = m.named(def, apitype.ActionResult{Row: row}).Row
	}
	return res, nil, true
}

// isRepairFailure reports whether err is a joined repair's own failure
// rather than the wait's (busy, or the caller gave up).
func isRepairFailure(err error) bool {
	var ae *apitype.Error
	if errors.As(err, &ae) && ae.Code == apitype.CodeBusy && ae.Detail == DetailRepairInProgress {
		return false
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// repairWho says who started a repair, for the busy message.
func repairWho(action string) string {
	switch action {
	case RecoveryAutoRepair:
		return "started by auto-heal after a sign-in in your browser"
	case RecoveryInteractiveRepair:
		return "completing a sign-in"
	case actionSignInConnector:
		return "waiting for a sign-in inside the connector's browser"
	}
	return "started by a repair request"
}

// waitRepair waits for a running repair of s to end, up to VerifyWait.
func (m *Manager) waitRepair(ctx context.Context, def connector.Definition, s *state) error {
	_, err, running := m.join(ctx, def, s)
	if !running {
		return nil
	}
	var ae *apitype.Error
	if errors.As(err, &ae) && ae.Code == apitype.CodeBusy {
		return err
	}
	if ctx.Err() != nil {
		return err
	}
	return nil // the repair's own failure is not the verify's
}

// Verify checks a connector's session: its own persistent profile as it is
// when it has one holding a session that no browser holds (ProfileProber;
// a failure there is judged by the carry-over evidence rule, carry.go),
// else the cookies it would run with: the live browser's when one is
// connected, else its stored session state.
// A verify that arrives during a repair waits for it (up to VerifyWait,
// then answers busy) so it never reports a half-written session.
func (m *Manager) Verify(ctx context.Context, def connector.Definition, runID string) (apitype.ActionResult, error) {
	if err := m.waitRepair(ctx, def, m.session(def.ID)); err != nil {
		return apitype.ActionResult{}, err
	}
	if rep, ok, err := m.probeOwn(ctx, def); err != nil {
		return apitype.ActionResult{}, err
	} else if ok {
		res := m.judgeCarryOver(ctx, def, rep.Result)
		row, err := m.record(ctx, def, res, ActionVerify, runID)
		if err != nil {
			return apitype.ActionResult{}, err
		}
		m.push(ctx, def)
		return m.named(def, apitype.ActionResult{Result: res, Probe: string(rep.Probe), Row: row}), nil
	}
	if _, _, own := m.ownProfile(def); !own {
		// Without a profile of its own, the connector's session is the
		// user's browser's; its evidence is the runs' (runcarry.go).
	} else if h, err := m.cfg.Store.GetHealth(ctx, def.ID); err == nil && h.Detail == taxonomy.DetailSessionNotTransferable {
		// The browser's cookies say nothing about a session that does not
		// carry over: only the connector's own profile can answer.
		return apitype.ActionResult{}, &apitype.Error{Code: apitype.CodeBusy, Message: fmt.Sprintf("the session of %s does not carry over from your browser, so only its own browser profile can verify it, and a running browser (a run?) holds that profile: try again when it closes", def.ID)}
	}
	live, err := m.cfg.Browser.LiveCookies(ctx, def)
	cs := live.Cookies
	if err != nil {
		if !errors.Is(err, ErrNoBrowser) {
			return apitype.ActionResult{}, err
		}
		stored, serr := readStorageState(def)
		if serr != nil {
			res := taxonomy.NewResult(taxonomy.Unknown, taxonomy.DetailBrowserNotConnected, 0, nil, def.Name)
			row, _ := m.Row(ctx, def)
			return apitype.ActionResult{Result: res, Row: row}, nil
		}
		cs = stored
	}
	rep, err := m.cfg.Verify(ctx, def, cs, m.verifyOptions(live.UserAgent))
	if err != nil {
		return apitype.ActionResult{}, err
	}
	if rep.Result.Healthy() && m.stillNotTransferable(def, cs) {
		rep.Result = taxonomy.NewResult(taxonomy.SessionExpired, taxonomy.DetailSessionNotTransferable, 0, nil, def.Name)
	}
	row, err := m.record(ctx, def, rep.Result, ActionVerify, runID)
	if err != nil {
		return apitype.ActionResult{}, err
	}
	m.push(ctx, def)
	return m.named(def, apitype.ActionResult{Result: rep.Result, Probe: string(rep.Probe), Row: row}), nil
}

// Repair takes the connector's cookies from the browser now, verifies them,
// writes them to the connector's own session state when they work, and
// records the outcome. Only one repair of a connector runs at a time: a
// repair asked for while one runs waits for it (up to VerifyWait) and
// answers its result.
func (m *Manager) Repair(ctx context.Context, def connector.Definition, runID string) (apitype.ActionResult, error) {
	return m.repair(ctx, def, RecoveryRepairFromChrome, runID)
}

func (m *Manager) repair(ctx context.Context, def connector.Definition, action, runID string) (apitype.ActionResult, error) {
	return m.exclusive(ctx, def, action, func() (apitype.ActionResult, error) {
		return m.runRepair(ctx, def, action, runID)
	}, func(s *state, res apitype.ActionResult, err error) {
		if err == nil && res.Result.Healthy() {
			s.failures = 0
			if action == RecoveryInteractiveRepair {
				s.awaiting, s.awaitRunID = false, ""
			}
		} else if err == nil {
			s.failures++
		}
	})
}

// exclusive runs a repair of def (run) as the only one of that connector at
// a time, pushes the row before and after, and calls done with the outcome
// under the session's lock. One that arrives while another runs joins it:
// it waits (up to VerifyWait) and answers that repair's result.
func (m *Manager) exclusive(ctx context.Context, def connector.Definition, action string, run func() (apitype.ActionResult, error), done func(s *state, res apitype.ActionResult, err error)) (apitype.ActionResult, error) {
	s := m.session(def.ID)
	for {
		s.mu.Lock()
		if s.current == nil {
			break
		}
		s.mu.Unlock()
		res, err, running := m.join(ctx, def, s)
		if !running {
			continue
		}
		if action != actionSignInConnector || err != nil && !isRepairFailure(err) {
			return res, err
		}
		// A sign-in inside the connector's browser is not answered by a
		// repair from the user's browser: it runs once that one ended.
	}
	cur := &repairRun{action: action, done: make(chan struct{})}
	s.repairing, s.current = true, cur
	s.lastAttempt = time.Now()
	s.mu.Unlock()
	m.push(ctx, def)
	res, err := run()
	s.mu.Lock()
	s.repairing, s.current = false, nil
	done(s, res, err)
	s.mu.Unlock()
	m.push(ctx, def)
	if err == nil {
		res.Row, _ = m.Row(ctx, def)
		res = m.named(def, res)
	}
	cur.res, cur.err = res, err
	close(cur.done)
	return res, err
}

func (m *Manager) runRepair(ctx context.Context, def connector.Definition, action, runID string) (apitype.ActionResult, error) {
	live, err := m.cfg.Browser.LiveCookies(ctx, def)
	if err != nil {
		return apitype.ActionResult{}, err
	}
	rep, err := m.cfg.Verify(ctx, def, live.Cookies, m.verifyOptions(live.UserAgent))
	if err != nil {
		return apitype.ActionResult{}, err
	}
	rep.Result = m.judgeRunRepair(ctx, def, runID, live.Cookies, rep.Result)
	if !rep.Result.Healthy() {
		row, err := m.record(ctx, def, rep.Result, action, runID)
		if err != nil {
			return apitype.ActionResult{}, err
		}
		return apitype.ActionResult{Result: rep.Result, Probe: string(rep.Probe), Row: row}, nil
	}
	written, err := m.writeStorageState(def, live.Cookies)
	if err != nil {
		return apitype.ActionResult{}, fmt.Errorf("write %s session state: %w", def.ID, err)
	}
	m.cfg.Store.RecordRelease(ctx, releaseOf(ctx, def, len(live.Cookies), "session-state", "repair:"))
	m.carriedOver(def)
	// Healthy is reported once the session is verified from the user's live
	// cookies; the write into the connector's profile (a browser start)
	// follows, and the row says so while it runs and when it is done.
	profile := m.profileToWrite(def)
	s := m.session(def.ID)
	if profile != "" {
		s.mu.Lock()
		s.repairing, s.profileWriting = false, true
		s.mu.Unlock()
	}
	row, err := m.record(ctx, def, rep.Result, action, runID)
	if err != nil {
		s.mu.Lock()
		s.profileWriting = false
		s.mu.Unlock()
		return apitype.ActionResult{}, err
	}
	if profile != "" {
		m.push(ctx, def)
		wrote, err := m.writeProfile(ctx, def, profile, live.Cookies)
		s.mu.Lock()
		s.profileWriting = false
		if wrote {
			s.profileWrittenAt = time.Now()
		}
		s.mu.Unlock()
		if err != nil {
			return apitype.ActionResult{}, fmt.Errorf("write %s session state: %w", def.ID, err)
		}
		if wrote {
			written = append(written, profile)
		}
	}
	return apitype.ActionResult{Result: rep.Result, Probe: string(rep.Probe), Row: row, Written: written}, nil
}

// record stores a verification outcome.
func (m *Manager) record(ctx context.Context, def connector.Definition, res taxonomy.Result, action, runID string) (apitype.StatusRow, error) {
	now := time.Now()
	h, err := m.cfg.Store.GetHealth(ctx, def.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return apitype.StatusRow{}, err
	}
	h.ConnectorID = def.ID
	h.LastVerifiedAt = now
	h.Detail = res.Detail
	if res.Healthy() {
		h.Health, h.Reason = string(taxonomy.Healthy), ""
		h.LastHeadlessSuccessAt = now
		if action == RecoveryInteractiveRepair {
			h.LastInteractiveLoginAt = now
		}
	} else {
		h.Health, h.Reason = string(res.Health), string(res.Code)
		h.LastFailureAt, h.LastFailureReason = now, string(res.Code)
	}
	if err := m.cfg.Store.PutHealth(ctx, h); err != nil {
		return apitype.StatusRow{}, fmt.Errorf("record %s health: %w", def.ID, err)
	}
	m.outcome(ctx, Outcome{Connector: def.ID, Action: action, RunID: runID, Result: res, At: now})
	return m.row(def, h, true), nil
}

func (m *Manager) outcome(ctx context.Context, o Outcome) {
	if m.cfg.OnOutcome != nil {
		m.cfg.OnOutcome(ctx, o)
	}
}

// Clear removes the connector's cookies from its own session state and marks
// it Unknown. It never touches the user's browser cookies.
func (m *Manager) Clear(ctx context.Context, def connector.Definition) (apitype.ClearResult, error) {
	s := m.session(def.ID)
	s.mu.Lock()
	s.awaiting = false
	s.carriedAt, s.strikes, s.runStrikes = time.Time{}, 0, 0
	s.mu.Unlock()
	if err := m.profileRefusal(def); err != nil {
		return apitype.ClearResult{}, err
	}
	cleared, err := m.clearSession(ctx, def)
	if err != nil {
		return apitype.ClearResult{}, fmt.Errorf("clear %s session state: %w", def.ID, err)
	}
	h, err := m.cfg.Store.GetHealth(ctx, def.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return apitype.ClearResult{}, err
	}
	h.ConnectorID, h.Health, h.Reason, h.Detail = def.ID, string(taxonomy.HealthUnknown), "", "cleared"
	if err := m.cfg.Store.PutHealth(ctx, h); err != nil {
		return apitype.ClearResult{}, err
	}
	m.outcome(ctx, Outcome{Connector: def.ID, Action: RecoveryClearSession, At: time.Now()})
	m.push(ctx, def)
	return apitype.ClearResult{Row: m.row(def, h, true), Cleared: cleared}, nil
}

// Interactive first checks the browser's live session (the auth cookies are
// there, then the probe): when it works, it repairs silently and opens no
// tab. Otherwise it opens the connector's login page in the browser; the
// repair completes by itself when its auth cookies appear
// (AuthCookiesChanged).
func (m *Manager) Interactive(ctx context.Context, def connector.Definition, runID string) (apitype.InteractiveResult, error) {
	if def.LoginURL == "" {
		return apitype.InteractiveResult{}, &apitype.Error{Code: apitype.CodeBadRequest, Message: fmt.Sprintf("connector %s has no login_url to open", def.ID)}
	}
	// A repair under way answers first: when it heals the session, no tab.
	if res, err, running := m.join(ctx, def, m.session(def.ID)); running && err == nil && res.Result.Healthy() {
		return apitype.InteractiveResult{LoginURL: def.LoginURL, Row: res.Row, Opened: false, Preflight: &res}, nil
	}
	if res, ok := m.preflight(ctx, def, runID); ok {
		return apitype.InteractiveResult{LoginURL: def.LoginURL, Row: res.Row, Opened: false, Preflight: &res}, nil
	}
	tab, err := m.cfg.Browser.OpenTab(ctx, def, def.LoginURL)
	if err != nil {
		return apitype.InteractiveResult{}, err
	}
	s := m.session(def.ID)
	s.mu.Lock()
	s.awaiting, s.awaitRunID = true, runID
	s.mu.Unlock()
	m.push(ctx, def)
	row, _ := m.Row(ctx, def)
	return apitype.InteractiveResult{TabID: tab, LoginURL: def.LoginURL, Row: row, Opened: true}, nil
}

// preflight repairs from the browser's live session when it already works.
// It reports false (open the login page) when no browser answers, none of
// the connector's auth cookies is present and unexpired, or the probe says
// the session does not work.
func (m *Manager) preflight(ctx context.Context, def connector.Definition, runID string) (apitype.ActionResult, bool) {
	live, err := m.cfg.Browser.LiveCookies(ctx, def)
	if err != nil || !hasAuthCookie(def, live.Cookies, time.Now()) {
		return apitype.ActionResult{}, false
	}
	res, err := m.repair(ctx, def, RecoveryRepairFromChrome, runID)
	if err != nil {
		m.cfg.Log.Info("preflight repair failed; opening the login page", "connector", def.ID, "err", err)
		return apitype.ActionResult{}, false
	}
	return res, res.Result.Healthy()
}

// hasAuthCookie reports whether cs holds one of def's auth cookies (any
// cookie when it names none) that has not expired. cs are the connector's
// own cookies already.
func hasAuthCookie(def connector.Definition, cs []apitype.Cookie, now time.Time) bool {
	for _, c := range cs {
		// Without auth_cookies, any cookie of its domains is a session worth probing.
		if len(def.AuthCookies) > 0 && !cookies.IsAuthCookie(def.Domains, def.AuthCookies, c.Name, c.Domain) {
			continue
		}
		if c.Session || c.ExpirationDate == 0 || c.ExpirationDate > float64(now.Unix()) {
			return true
		}
	}
	return false
}

// sourceStoreLabel is what status shows as the store a connector reads.
func sourceStoreLabel(def connector.Definition) string {
	if def.SourceStore == "" {
		return "default"
	}
	return def.SourceStore
}
