package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/cookies"
	"github.com/authbridge/authbridge/host/store"
	"github.com/authbridge/authbridge/host/verify"
	"github.com/authbridge/authbridge/taxonomy"
)

// StatusRow is one connector's line in the status (PROTOCOL.md, StatusRow).
type StatusRow struct {
	ID                     string          `json:"id"`
	Name                   string          `json:"name"`
	Icon                   string          `json:"icon,omitempty"`
	Domains                []string        `json:"domains"`
	Health                 string          `json:"health"`
	HealthKey              taxonomy.Health `json:"health_key"`
	Reason                 string          `json:"reason"`
	Detail                 string          `json:"detail"`
	Prompt                 taxonomy.Prompt `json:"prompt"`
	LoginURL               string          `json:"login_url,omitempty"`
	LastVerifiedAt         *time.Time      `json:"last_verified_at,omitempty"`
	LastHeadlessSuccessAt  *time.Time      `json:"last_headless_success_at,omitempty"`
	LastInteractiveLoginAt *time.Time      `json:"last_interactive_login_at,omitempty"`
	LastFailureAt          *time.Time      `json:"last_failure_at,omitempty"`
	LastFailureReason      string          `json:"last_failure_reason,omitempty"`
	RepairInProgress       bool            `json:"repair_in_progress"`
	AwaitingInteractive    bool            `json:"awaiting_interactive"`
	Source                 string          `json:"source"`
	// SourceStore is the cookie store the connector reads: "default", or the
	// name of the Firefox container its definition names.
	SourceStore string `json:"source_store"`
}

func tptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// sessionState is the agent's in-memory per-connector bookkeeping.
type sessionState struct {
	mu          sync.Mutex // one repair or verify at a time per connector
	repairing   bool
	awaiting    bool // an interactive repair is open
	awaitRunID  string
	lastAttempt time.Time
	failures    int
	healTimer   *time.Timer // pending debounced heal
	rerun       bool        // cookies changed during a repair
}

func (a *Agent) session(id string) *sessionState {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sessions == nil {
		a.sessions = map[string]*sessionState{}
	}
	s := a.sessions[id]
	if s == nil {
		s = &sessionState{}
		a.sessions[id] = s
	}
	return s
}

// Row builds the status row of one connector from its stored health.
func (a *Agent) Row(ctx context.Context, def connector.Definition) (StatusRow, error) {
	h, err := a.store.GetHealth(ctx, def.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return StatusRow{}, err
	}
	return a.row(def, h, err == nil), nil
}

func (a *Agent) row(def connector.Definition, h store.Health, recorded bool) StatusRow {
	name := def.Name
	if name == "" {
		name = def.ID
	}
	r := StatusRow{
		ID: def.ID, Name: name, Icon: def.Icon, Domains: def.Domains, LoginURL: def.LoginURL, Source: def.Source,
		LastVerifiedAt: tptr(h.LastVerifiedAt), LastHeadlessSuccessAt: tptr(h.LastHeadlessSuccessAt),
		LastInteractiveLoginAt: tptr(h.LastInteractiveLoginAt), LastFailureAt: tptr(h.LastFailureAt),
		LastFailureReason: h.LastFailureReason, Reason: h.Reason, Detail: h.Detail,
		SourceStore: sourceStoreLabel(def),
	}
	s := a.session(def.ID)
	s.mu.Lock()
	r.RepairInProgress, r.AwaitingInteractive = s.repairing, s.awaiting
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
	r.Health = r.HealthKey.Label()
	return r
}

// Rows returns the status rows, sorted by id: every connector defined in a
// file, and the built-in ones that have been used (a recorded health). With
// all, every built-in too.
func (a *Agent) Rows(ctx context.Context, all bool) ([]StatusRow, error) {
	healths, err := a.store.AllHealth(ctx)
	if err != nil {
		return nil, err
	}
	defs, _ := a.Connectors()
	rows := make([]StatusRow, 0, len(defs))
	for _, d := range defs {
		h, ok := healths[d.ID]
		if !all && !ok && d.Kind == connector.KindBuiltin && !a.session(d.ID).awaitingNow() {
			continue
		}
		rows = append(rows, a.row(d, h, ok))
	}
	return rows, nil
}

func (s *sessionState) awaitingNow() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.awaiting || s.repairing
}

func (a *Agent) apiStatus(ctx context.Context, r *http.Request) (any, error) {
	all := r.URL.Query().Get("all")
	rows, err := a.Rows(ctx, all == "1" || all == "true")
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"agent": map[string]any{
			"pid": os.Getpid(), "version": a.cfg.Version, "socket": a.cfg.Paths.APISocket,
			"home": a.cfg.Paths.Home, "started_at": a.started,
		},
		"bridges":    a.Bridges(),
		"connectors": rows,
	}, nil
}

// ConnectorInfo is a definition as `authbridge connectors` shows it.
type ConnectorInfo struct {
	connector.Definition
	Source string `json:"source"`
	Kind   string `json:"kind"`
}

func (a *Agent) apiConnectors(ctx context.Context, r *http.Request) (any, error) {
	defs, problems := a.Connectors()
	out := make([]ConnectorInfo, 0, len(defs))
	for _, d := range defs {
		out = append(out, ConnectorInfo{Definition: d, Source: d.Source, Kind: d.Kind})
	}
	if problems == nil {
		problems = []Problem{}
	}
	return map[string]any{"connectors": out, "problems": problems}, nil
}

// actionRequest is the optional body of the connector actions.
type actionRequest struct {
	RunID string `json:"run_id,omitempty"`
}

func readAction(r *http.Request) (actionRequest, error) {
	var req actionRequest
	if r.Body == nil {
		return req, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return req, badRequest("read body: %v", err)
	}
	if len(b) == 0 {
		return req, nil
	}
	dec := json.NewDecoder(bytesReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, badRequest("body: %v", err)
	}
	return req, nil
}

// ActionResult is the answer of verify and repair.
type ActionResult struct {
	Result taxonomy.Result `json:"result"`
	Probe  string          `json:"probe,omitempty"`
	Row    StatusRow       `json:"row"`
	// Written lists the connector session state repair wrote to.
	Written []string `json:"written,omitempty"`
}

func (a *Agent) apiVerify(ctx context.Context, r *http.Request) (any, error) {
	def, err := a.Connector(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	req, err := readAction(r)
	if err != nil {
		return nil, err
	}
	return a.Verify(ctx, def, req.RunID)
}

func (a *Agent) apiRepair(ctx context.Context, r *http.Request) (any, error) {
	def, err := a.Connector(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	req, err := readAction(r)
	if err != nil {
		return nil, err
	}
	return a.Repair(ctx, def, RecoveryRepairFromChrome, req.RunID)
}

// Recovery actions, as recorded in metrics events.
const (
	RecoveryRepairFromChrome  = "repair_from_chrome"
	RecoveryAutoRepair        = "auto_repair"
	RecoveryInteractiveRepair = "interactive_repair"
	RecoveryClearSession      = "clear_session"
	RecoveryRetry             = "retry"
	RecoveryNone              = "none"
)

// verifyOptions are the probe options the agent uses.
func (a *Agent) verifyOptions(b *bridge) verify.Options {
	opts := verify.Options{Timeout: a.cfg.VerifyTimeout}
	if b != nil {
		if ua := b.info().UserAgent; ua != "" {
			opts.UserAgent = ua
		}
	}
	return opts
}

// Verify checks a connector's session with the cookies it would run with:
// the live browser's when one is connected, else its stored session state.
func (a *Agent) Verify(ctx context.Context, def connector.Definition, runID string) (ActionResult, error) {
	var cs []apitype.Cookie
	b, err := a.pickBridge(ctx, def)
	if err == nil {
		cs, err = a.liveFrom(ctx, b, def)
	}
	if err != nil {
		stored, serr := readStorageState(def)
		if !errors.Is(err, ErrNoBridge) || serr != nil {
			if errors.Is(err, ErrNoBridge) {
				res := taxonomy.NewResult(taxonomy.Unknown, taxonomy.DetailBrowserNotConnected, 0, nil, def.Name)
				row, _ := a.Row(ctx, def)
				return ActionResult{Result: res, Row: row}, nil
			}
			return ActionResult{}, err
		}
		cs = stored
	}
	rep, err := verify.Verify(ctx, def, cs, a.verifyOptions(b))
	if err != nil {
		return ActionResult{}, err
	}
	row, err := a.record(ctx, def, rep.Result, "verify", runID, false)
	if err != nil {
		return ActionResult{}, err
	}
	return ActionResult{Result: rep.Result, Probe: string(rep.Probe), Row: row}, nil
}

func (a *Agent) liveFrom(ctx context.Context, b *bridge, def connector.Definition) ([]apitype.Cookie, error) {
	var res struct {
		Cookies []apitype.Cookie `json:"cookies"`
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := b.call(cctx, "cookies.get", cookiesGetParams(def), &res); err != nil {
		return nil, err
	}
	return cookies.FilterLive(res.Cookies, def.Domains, time.Now()), nil
}

// Repair takes the connector's cookies from the browser now, verifies them,
// writes them to the connector's own session state when they work, and
// records the outcome.
func (a *Agent) Repair(ctx context.Context, def connector.Definition, action, runID string) (ActionResult, error) {
	s := a.session(def.ID)
	s.mu.Lock()
	if s.repairing {
		s.mu.Unlock()
		return ActionResult{}, &APIError{Status: http.StatusConflict, Code: "busy", Message: fmt.Sprintf("a repair of %s is already running", def.ID)}
	}
	s.repairing = true
	s.lastAttempt = time.Now()
	s.mu.Unlock()
	a.broadcastStatus()
	defer func() {
		s.mu.Lock()
		s.repairing = false
		s.mu.Unlock()
		a.broadcastStatus()
	}()
	b, err := a.pickBridge(ctx, def)
	if err != nil {
		return ActionResult{}, err
	}
	cs, err := a.liveFrom(ctx, b, def)
	if err != nil {
		return ActionResult{}, err
	}
	rep, err := verify.Verify(ctx, def, cs, a.verifyOptions(b))
	if err != nil {
		return ActionResult{}, err
	}
	var written []string
	if rep.Result.Healthy() {
		written, err = a.writeSession(ctx, def, cs)
		if err != nil {
			return ActionResult{}, fmt.Errorf("write %s session state: %w", def.ID, err)
		}
		pid, uid, via := caller(ctx)
		a.store.RecordRelease(ctx, store.Release{At: time.Now(), ConnectorID: def.ID, CallerPID: pid, CallerUID: uid, Count: len(cs), Format: "session-state", Via: "repair:" + via})
	}
	interactive := action == RecoveryInteractiveRepair
	row, err := a.record(ctx, def, rep.Result, action, runID, interactive)
	if err != nil {
		return ActionResult{}, err
	}
	s.mu.Lock()
	if rep.Result.Healthy() {
		s.failures = 0
	} else {
		s.failures++
	}
	s.mu.Unlock()
	return ActionResult{Result: rep.Result, Probe: string(rep.Probe), Row: row, Written: written}, nil
}

// record stores a verification outcome and tells every open popup.
func (a *Agent) record(ctx context.Context, def connector.Definition, res taxonomy.Result, action, runID string, interactive bool) (StatusRow, error) {
	now := time.Now()
	h, err := a.store.GetHealth(ctx, def.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return StatusRow{}, err
	}
	h.ConnectorID = def.ID
	h.LastVerifiedAt = now
	h.Detail = res.Detail
	if res.Healthy() {
		h.Health, h.Reason = string(taxonomy.Healthy), ""
		h.LastHeadlessSuccessAt = now
		if interactive {
			h.LastInteractiveLoginAt = now
		}
	} else {
		h.Health, h.Reason = string(res.Health), string(res.Code)
		h.LastFailureAt, h.LastFailureReason = now, string(res.Code)
	}
	if err := a.store.PutHealth(ctx, h); err != nil {
		return StatusRow{}, fmt.Errorf("record %s health: %w", def.ID, err)
	}
	if a.cfg.OnOutcome != nil {
		a.cfg.OnOutcome(ctx, Outcome{Connector: def.ID, Action: action, RunID: runID, Result: res, At: now})
	}
	a.broadcastStatus()
	return a.row(def, h, true), nil
}

// Outcome is one host action's result, for the metrics recorder.
type Outcome struct {
	Connector string
	Action    string // verify, or a recovery action
	RunID     string
	Result    taxonomy.Result
	At        time.Time
}

func (a *Agent) apiClear(ctx context.Context, r *http.Request) (any, error) {
	def, err := a.Connector(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if _, err := readAction(r); err != nil {
		return nil, err
	}
	return a.Clear(ctx, def)
}

// Clear removes the connector's cookies from its own session state and marks
// it Unknown. It never touches the user's browser cookies.
func (a *Agent) Clear(ctx context.Context, def connector.Definition) (map[string]any, error) {
	s := a.session(def.ID)
	s.mu.Lock()
	s.awaiting = false
	s.mu.Unlock()
	cleared, err := a.clearSession(ctx, def)
	if err != nil {
		return nil, fmt.Errorf("clear %s session state: %w", def.ID, err)
	}
	h, err := a.store.GetHealth(ctx, def.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	h.ConnectorID, h.Health, h.Reason, h.Detail = def.ID, string(taxonomy.HealthUnknown), "", "cleared"
	if err := a.store.PutHealth(ctx, h); err != nil {
		return nil, err
	}
	if a.cfg.OnOutcome != nil {
		a.cfg.OnOutcome(ctx, Outcome{Connector: def.ID, Action: RecoveryClearSession, At: time.Now()})
	}
	a.broadcastStatus()
	return map[string]any{"row": a.row(def, h, true), "cleared": cleared}, nil
}

func (a *Agent) apiInteractive(ctx context.Context, r *http.Request) (any, error) {
	def, err := a.Connector(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	req, err := readAction(r)
	if err != nil {
		return nil, err
	}
	if def.LoginURL == "" {
		return nil, badRequest("connector %s has no login_url to open", def.ID)
	}
	b, err := a.pickBridge(ctx, def)
	if err != nil {
		return nil, err
	}
	var res struct {
		TabID int `json:"tab_id"`
	}
	if err := b.call(ctx, "tabs.open", map[string]any{"url": def.LoginURL}, &res); err != nil {
		return nil, err
	}
	s := a.session(def.ID)
	s.mu.Lock()
	s.awaiting, s.awaitRunID = true, req.RunID
	s.mu.Unlock()
	a.broadcastStatus()
	row, _ := a.Row(ctx, def)
	return map[string]any{"tab_id": res.TabID, "login_url": def.LoginURL, "row": row}, nil
}

// broadcastStatus pushes the current rows to every connected extension.
func (a *Agent) broadcastStatus() {
	if a.ctx == nil {
		return
	}
	bs := a.bridgeList()
	if len(bs) == 0 {
		return
	}
	rows, err := a.Rows(a.ctx, false)
	if err != nil {
		a.log.Warn("status rows", "err", err)
		return
	}
	for _, b := range bs {
		if err := b.notify("status.changed", map[string]any{"connectors": rows}); err != nil {
			b.log.Warn("status.changed not sent", "err", err)
		}
	}
}

func (a *Agent) extraRoutes() map[string]HandlerFunc { return a.cfg.ExtraRoutes }

func (a *Agent) watchConnectorsDir(ctx context.Context) {}
