package session

import (
	"context"
	"errors"
	"strings"
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

// fakeBrowser hands out the cookies it holds; with gate set, LiveCookies
// waits for it to be closed (a slow browser).
type fakeBrowser struct {
	mu      sync.Mutex
	cookies []apitype.Cookie
	down    bool
	gate    chan struct{}
	calls   int
	tabs    []string
}

func (b *fakeBrowser) LiveCookies(ctx context.Context, def connector.Definition) (Live, error) {
	b.mu.Lock()
	b.calls++
	gate, down, cs := b.gate, b.down, b.cookies
	b.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return Live{}, ctx.Err()
		}
	}
	if down {
		return Live{}, ErrNoBrowser
	}
	return Live{Cookies: cs, UserAgent: "fake"}, nil
}

func (b *fakeBrowser) OpenTab(ctx context.Context, def connector.Definition, url string) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down {
		return 0, ErrNoBrowser
	}
	b.tabs = append(b.tabs, url)
	return 7, nil
}

func (b *fakeBrowser) set(names ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cookies = nil
	for _, n := range names {
		b.cookies = append(b.cookies, apitype.Cookie{Name: n, Value: "v", Domain: "demo.test", Path: "/"})
	}
}

func (b *fakeBrowser) liveCalls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}

type fakeStore struct {
	mu       sync.Mutex
	health   map[string]store.Health
	releases []store.Release
}

func (s *fakeStore) GetHealth(ctx context.Context, id string) (store.Health, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.health[id]
	if !ok {
		return store.Health{}, store.ErrNotFound
	}
	return h, nil
}

func (s *fakeStore) PutHealth(ctx context.Context, h store.Health) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.health[h.ConnectorID] = h
	return nil
}

func (s *fakeStore) AllHealth(ctx context.Context) (map[string]store.Health, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]store.Health{}
	for k, v := range s.health {
		out[k] = v
	}
	return out, nil
}

func (s *fakeStore) RecordRelease(ctx context.Context, r store.Release) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releases = append(s.releases, r)
	return nil
}

type fakeCatalog struct{ defs []connector.Definition }

func (c fakeCatalog) Connector(id string) (connector.Definition, error) {
	for _, d := range c.defs {
		if d.ID == id {
			return d, nil
		}
	}
	return connector.Definition{}, ErrUnknownConnector
}

func (c fakeCatalog) Connectors() ([]connector.Definition, []apitype.Problem) { return c.defs, nil }

// fakeNotifier records every push.
type fakeNotifier struct {
	mu     sync.Mutex
	pushes [][]apitype.StatusRow
}

func (n *fakeNotifier) StatusChanged(rows []apitype.StatusRow) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.pushes = append(n.pushes, rows)
}

func (n *fakeNotifier) take() [][]apitype.StatusRow {
	n.mu.Lock()
	defer n.mu.Unlock()
	p := n.pushes
	n.pushes = nil
	return p
}

// sidVerifier is healthy when the cookies hold "sid", expired otherwise.
func sidVerifier(ctx context.Context, def connector.Definition, cs []apitype.Cookie, opts verify.Options) (verify.Report, error) {
	for _, c := range cs {
		if c.Name == "sid" {
			return verify.Report{Result: taxonomy.NewResult(taxonomy.OK, taxonomy.DetailLoggedIn, 0, nil, def.Name)}, nil
		}
	}
	return verify.Report{Result: taxonomy.NewResult(taxonomy.SessionExpired, taxonomy.DetailLoginRedirect, 0, nil, def.Name)}, nil
}

var demo = connector.Definition{ID: "demo", Name: "Demo", Domains: []string{"demo.test"}, AuthCookies: []string{"sid"}, LoginURL: "http://demo.test/login"}

type rig struct {
	m        *Manager
	browser  *fakeBrowser
	store    *fakeStore
	notifier *fakeNotifier
	outcomes []Outcome
	omu      sync.Mutex
}

func newRig(t *testing.T, mod func(*Config)) *rig {
	t.Helper()
	r := &rig{browser: &fakeBrowser{}, store: &fakeStore{health: map[string]store.Health{}}, notifier: &fakeNotifier{}}
	cfg := Config{
		Browser: r.browser, Store: r.store, Catalog: fakeCatalog{[]connector.Definition{demo}}, Notifier: r.notifier,
		Verify: sidVerifier,
		OnOutcome: func(ctx context.Context, o Outcome) {
			r.omu.Lock()
			r.outcomes = append(r.outcomes, o)
			r.omu.Unlock()
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r.m = New(ctx, cfg)
	return r
}

func (r *rig) row(t *testing.T) apitype.StatusRow {
	t.Helper()
	row, err := r.m.Row(context.Background(), demo)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

func (r *rig) actions() []string {
	r.omu.Lock()
	defer r.omu.Unlock()
	var out []string
	for _, o := range r.outcomes {
		out = append(out, o.Action)
	}
	return out
}

// TestTransitions walks every health transition an action makes, and
// checks each pushes the changed row exactly once per transition.
func TestTransitions(t *testing.T) {
	ctx := context.Background()
	type step struct {
		name      string
		cookies   []string // nil with down: no browser
		down      bool
		act       func(m *Manager) (apitype.ActionResult, error)
		wantKey   taxonomy.Health
		wantCode  taxonomy.Code
		wantPush  int
		recorded  bool
		failures  int
		wantWrote bool
	}
	verifyAct := func(m *Manager) (apitype.ActionResult, error) { return m.Verify(ctx, demo, "") }
	repairAct := func(m *Manager) (apitype.ActionResult, error) { return m.Repair(ctx, demo, "") }
	clearAct := func(m *Manager) (apitype.ActionResult, error) {
		res, err := m.Clear(ctx, demo)
		return apitype.ActionResult{Row: res.Row}, err
	}
	steps := []step{
		{name: "never checked, no browser: Unknown, nothing recorded", down: true, act: verifyAct, wantKey: taxonomy.HealthUnknown, wantCode: taxonomy.Unknown},
		{name: "verify with the session: Healthy", cookies: []string{"sid"}, act: verifyAct, wantKey: taxonomy.Healthy, wantCode: taxonomy.OK, wantPush: 1, recorded: true},
		{name: "verify after sign-out: Needs Attention", cookies: []string{"theme"}, act: verifyAct, wantKey: taxonomy.NeedsAttention, wantCode: taxonomy.SessionExpired, wantPush: 1, recorded: true},
		{name: "repair without a session fails and counts", cookies: []string{"theme"}, act: repairAct, wantKey: taxonomy.NeedsAttention, wantCode: taxonomy.SessionExpired, wantPush: 2, recorded: true, failures: 1},
		{name: "repair with a session heals and resets", cookies: []string{"sid"}, act: repairAct, wantKey: taxonomy.Healthy, wantCode: taxonomy.OK, wantPush: 2, recorded: true},
		{name: "clear: Unknown", cookies: []string{"sid"}, act: clearAct, wantKey: taxonomy.HealthUnknown, wantPush: 1, recorded: true},
		{name: "repair with no browser: error, nothing recorded", down: true, act: repairAct, wantKey: taxonomy.HealthUnknown, wantPush: 2},
	}
	r := newRig(t, nil)
	for _, s := range steps {
		r.browser.set(s.cookies...)
		r.browser.down = s.down
		res, err := s.act(r.m)
		if s.down && s.name[:6] == "repair" {
			if !errors.Is(err, ErrNoBrowser) {
				t.Errorf("%s: err = %v, want ErrNoBrowser", s.name, err)
			}
		} else if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.wantCode != "" && res.Result.Code != s.wantCode {
			t.Errorf("%s: result %s, want %s", s.name, res.Result.Code, s.wantCode)
		}
		row := r.row(t)
		if row.HealthKey != s.wantKey {
			t.Errorf("%s: row health %s, want %s", s.name, row.HealthKey, s.wantKey)
		}
		if row.RepairInProgress {
			t.Errorf("%s: repair_in_progress still set after the action", s.name)
		}
		pushes := r.notifier.take()
		if len(pushes) != s.wantPush {
			t.Errorf("%s: %d status pushes, want %d", s.name, len(pushes), s.wantPush)
		}
		for _, p := range pushes {
			if len(p) != 1 || p[0].ID != "demo" {
				t.Errorf("%s: push %v, want the one changed row", s.name, p)
			}
		}
		if s.wantPush == 2 && !pushes[0][0].RepairInProgress {
			t.Errorf("%s: the first repair push does not show repair_in_progress", s.name)
		}
		if f := r.m.session("demo").failures; f != s.failures {
			t.Errorf("%s: failures = %d, want %d", s.name, f, s.failures)
		}
	}
	want := []string{ActionVerify, ActionVerify, RecoveryRepairFromChrome, RecoveryRepairFromChrome, RecoveryClearSession}
	if got := r.actions(); len(got) != len(want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
}

func TestInteractiveCompletesWhenAuthCookiesAppear(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, func(c *Config) { c.NoAutoRepair = true })
		ctx := context.Background()
		res, err := r.m.Interactive(ctx, demo, "run-1")
		if err != nil || res.TabID != 7 || !res.Row.AwaitingInteractive {
			t.Fatalf("Interactive = %+v, %v; want tab 7 and awaiting_interactive", res, err)
		}
		if p := r.notifier.take(); len(p) != 1 || !p[0][0].AwaitingInteractive {
			t.Errorf("Interactive pushed %v, want one row awaiting", p)
		}
		r.browser.set("sid")
		r.m.AuthCookiesChanged("demo", "live")
		time.Sleep(HealDebounce + time.Millisecond)
		synctest.Wait()
		row := r.row(t)
		if row.HealthKey != taxonomy.Healthy || row.AwaitingInteractive || row.LastInteractiveLoginAt == nil {
			t.Errorf("after sign-in: %+v; want Healthy, no longer awaiting, last_interactive_login_at set", row)
		}
		if got := r.actions(); len(got) != 1 || got[0] != RecoveryInteractiveRepair {
			t.Errorf("outcomes %v, want one interactive_repair (auto-repair is off, the sign-in still completes)", got)
		}
		r.omu.Lock()
		if r.outcomes[0].RunID != "run-1" {
			t.Errorf("run id %q, want run-1", r.outcomes[0].RunID)
		}
		r.omu.Unlock()
	})
}

func TestInteractiveNeedsALoginURL(t *testing.T) {
	r := newRig(t, nil)
	_, err := r.m.Interactive(context.Background(), connector.Definition{ID: "x"}, "")
	var ae *apitype.Error
	if !errors.As(err, &ae) || ae.Code != apitype.CodeBadRequest {
		t.Errorf("Interactive without login_url = %v, want bad_request", err)
	}
}

func TestNeedsHealing(t *testing.T) {
	h := func(health taxonomy.Health, reason taxonomy.Code) store.Health {
		r := string(reason)
		if reason == taxonomy.OK {
			r = ""
		}
		return store.Health{Health: string(health), Reason: r}
	}
	tests := []struct {
		name     string
		h        store.Health
		recorded bool
		want     bool
	}{
		{"never checked", store.Health{}, false, true},
		{"unknown", h(taxonomy.HealthUnknown, ""), true, true},
		{"expired", h(taxonomy.NeedsAttention, taxonomy.SessionExpired), true, true},
		{"cookie missing", h(taxonomy.NeedsAttention, taxonomy.ProfileCookieMissing), true, true},
		{"checkpoint is never repaired automatically", h(taxonomy.NeedsAttention, taxonomy.Checkpoint), true, false},
		{"mfa needs a person", h(taxonomy.NeedsAttention, taxonomy.MFARequired), true, false},
		{"selector changed needs an update", h(taxonomy.NeedsAttention, taxonomy.SelectorChanged), true, false},
		{"healthy", h(taxonomy.Healthy, taxonomy.OK), true, false},
	}
	for _, tt := range tests {
		if got := NeedsHealing(tt.h, tt.recorded); got != tt.want {
			t.Errorf("NeedsHealing(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	if Backoff(0) != 0 {
		t.Errorf("Backoff(0) = %v, want 0", Backoff(0))
	}
	prev := time.Duration(0)
	for n := 1; n < 20; n++ {
		d := Backoff(n)
		if d < prev || d > 5*time.Minute {
			t.Fatalf("Backoff(%d) = %v after %v: want non-decreasing, at most 5m", n, d, prev)
		}
		prev = d
	}
}

// TestHealPolicy runs the heal pipeline from a cookie change to the repair
// it does (or does not) make.
func TestHealPolicy(t *testing.T) {
	tests := []struct {
		name   string
		health *store.Health
		noAuto bool
		want   int // repairs
	}{
		{name: "never checked is repaired", want: 1},
		{name: "expired is repaired", health: &store.Health{Health: string(taxonomy.NeedsAttention), Reason: string(taxonomy.SessionExpired)}, want: 1},
		{name: "healthy is left alone", health: &store.Health{Health: string(taxonomy.Healthy)}},
		{name: "checkpoint is left to a person", health: &store.Health{Health: string(taxonomy.NeedsAttention), Reason: string(taxonomy.Checkpoint)}},
		{name: "auto-repair off", noAuto: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig(t, func(c *Config) { c.NoAutoRepair = tt.noAuto })
				if tt.health != nil {
					h := *tt.health
					h.ConnectorID = "demo"
					r.store.PutHealth(context.Background(), h)
				}
				r.browser.set("sid")
				// A sign-in sets several cookies in a burst: one repair.
				for range 5 {
					r.m.AuthCookiesChanged("demo", "live")
					time.Sleep(HealDebounce / 3)
				}
				time.Sleep(HealDebounce + time.Millisecond)
				synctest.Wait()
				if got := len(r.actions()); got != tt.want {
					t.Errorf("repairs = %d (%v), want %d", got, r.actions(), tt.want)
				}
			})
		})
	}
}

// TestHealBacksOff checks that a failed auto-repair is not retried at once,
// and that the change is looked at again when the back-off ends.
func TestHealBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, nil)
		r.browser.set("theme") // signed out: the repair fails
		settle := func() {
			time.Sleep(HealDebounce + time.Millisecond)
			synctest.Wait()
		}
		r.m.AuthCookiesChanged("demo", "live")
		settle()
		if n := len(r.actions()); n != 1 {
			t.Fatalf("first change: %d repairs, want 1", n)
		}
		r.browser.set("sid")
		r.m.AuthCookiesChanged("demo", "live")
		settle()
		if n := len(r.actions()); n != 1 {
			t.Errorf("change inside the back-off: %d repairs, want still 1", n)
		}
		time.Sleep(Backoff(1))
		settle()
		if got := r.actions(); len(got) != 2 || r.row(t).HealthKey != taxonomy.Healthy {
			t.Errorf("after the back-off: %v, health %s; want a second repair that heals", got, r.row(t).HealthKey)
		}
	})
}

// TestOneRepairAtATime holds a repair in the browser and checks that a
// second repair, a verify and an interactive sign-in that arrive meanwhile
// wait for it and answer its result (no second browser read, no tab), and
// that a heal arriving meanwhile runs again after it.
func TestOneRepairAtATime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, func(c *Config) { c.VerifyWait = 2 * time.Second })
		ctx := context.Background()
		r.browser.set("sid")
		r.browser.gate = make(chan struct{})
		first := make(chan apitype.ActionResult, 1)
		go func() {
			res, err := r.m.Repair(ctx, demo, "")
			if err != nil {
				t.Errorf("repair: %v", err)
			}
			first <- res
		}()
		synctest.Wait() // the repair waits in the browser
		if !r.row(t).RepairInProgress {
			t.Fatal("row does not show repair_in_progress during the repair")
		}
		type answer struct {
			what string
			res  apitype.ActionResult
			err  error
		}
		answers := make(chan answer, 3)
		go func() { res, err := r.m.Repair(ctx, demo, ""); answers <- answer{"repair", res, err} }()
		go func() { res, err := r.m.Verify(ctx, demo, ""); answers <- answer{"verify", res, err} }()
		go func() {
			ir, err := r.m.Interactive(ctx, demo, "")
			var res apitype.ActionResult
			if ir.Preflight != nil {
				res = *ir.Preflight
			}
			if ir.Opened {
				err = errors.New("opened a tab")
			}
			answers <- answer{"interactive", res, err}
		}()
		r.m.AuthCookiesChanged("demo", "live")
		time.Sleep(HealDebounce + time.Millisecond)
		synctest.Wait()
		calls := r.browser.liveCalls()
		close(r.browser.gate)
		want := <-first
		for range 3 {
			a := <-answers
			if a.err != nil {
				t.Errorf("%s during the repair: %v", a.what, a.err)
				continue
			}
			if a.res.Result.Code != want.Result.Code || !a.res.Result.Healthy() || a.res.Row.RepairInProgress {
				t.Errorf("%s during the repair answered %s (row repairing %v), want the repair's %s", a.what, a.res.Result.Code, a.res.Row.RepairInProgress, want.Result.Code)
			}
		}
		if calls != 1 {
			t.Errorf("browser asked %d times while the repair held it, want 1", calls)
		}
		if n := len(r.browser.tabs); n != 0 {
			t.Errorf("%d tabs opened, want none", n)
		}
		time.Sleep(HealDebounce + time.Millisecond)
		synctest.Wait()
		// The heal that arrived during the repair looked again after it; the
		// connector is healthy by then, so it does not repair again.
		got := r.actions()
		if len(got) == 0 || got[0] != RecoveryRepairFromChrome {
			t.Fatalf("outcomes %v, want the one repair first", got)
		}
		for _, a := range got[1:] {
			if a != ActionVerify {
				t.Errorf("outcomes %v, want one repair and verifies only", got)
			}
		}
	})
}

// TestJoinRunsOut checks that a repair waiting for another one longer than
// VerifyWait answers busy, naming the running repair and what to do.
func TestJoinRunsOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, func(c *Config) { c.VerifyWait = 2 * time.Second })
		ctx := context.Background()
		r.browser.set("sid")
		r.browser.gate = make(chan struct{})
		done := make(chan error, 1)
		go func() { _, err := r.m.Repair(ctx, demo, ""); done <- err }()
		synctest.Wait()
		start := time.Now()
		_, err := r.m.Repair(ctx, demo, "")
		var ae *apitype.Error
		if !errors.As(err, &ae) || ae.Code != apitype.CodeBusy || ae.Detail != DetailRepairInProgress {
			t.Fatalf("second repair = %v, want busy with detail %s", err, DetailRepairInProgress)
		}
		if waited := time.Since(start); waited != 2*time.Second {
			t.Errorf("busy answered after %v (fake clock), want after VerifyWait (2s)", waited)
		}
		if !strings.Contains(ae.Message, "still running") || !strings.Contains(ae.Message, "ask again") {
			t.Errorf("busy message %q does not say why and what to do", ae.Message)
		}
		_, err = r.m.Verify(ctx, demo, "")
		if !errors.As(err, &ae) || ae.Code != apitype.CodeBusy {
			t.Errorf("verify during the repair = %v, want busy", err)
		}
		close(r.browser.gate)
		if err := <-done; err != nil {
			t.Fatalf("repair: %v", err)
		}
	})
}

// TestJoinFailedRepair checks that a repair joining one that fails answers
// that failure, and runs none of its own.
func TestJoinFailedRepair(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, nil)
		ctx := context.Background()
		r.browser.set("theme")
		r.browser.gate = make(chan struct{})
		first := make(chan apitype.ActionResult, 1)
		go func() { res, _ := r.m.Repair(ctx, demo, ""); first <- res }()
		synctest.Wait()
		second := make(chan apitype.ActionResult, 1)
		go func() { res, _ := r.m.Repair(ctx, demo, ""); second <- res }()
		synctest.Wait()
		close(r.browser.gate)
		a, b := <-first, <-second
		if a.Result.Healthy() || a.Result.Code != b.Result.Code || a.Result.Detail != b.Result.Detail {
			t.Errorf("joined repair answered %s/%s, want the running one's %s/%s", b.Result.Code, b.Result.Detail, a.Result.Code, a.Result.Detail)
		}
		if got := r.actions(); len(got) != 1 {
			t.Errorf("outcomes %v, want one repair", got)
		}
	})
}

// expiredVerifier always finds the session signed out.
func expiredVerifier(ctx context.Context, def connector.Definition, cs []apitype.Cookie, opts verify.Options) (verify.Report, error) {
	return verify.Report{Result: taxonomy.NewResult(taxonomy.SessionExpired, taxonomy.DetailLoginRedirect, 0, nil, def.Name)}, nil
}

func TestInteractivePreflight(t *testing.T) {
	past := float64(time.Now().Add(-time.Hour).Unix())
	tests := []struct {
		name     string
		cookies  []apitype.Cookie
		verifier Verifier
		wantTab  bool
	}{
		{"no auth cookie: open the login page", nil, sidVerifier, true},
		{"expired auth cookie: open the login page", []apitype.Cookie{{Name: "sid", Domain: "demo.test", Path: "/", ExpirationDate: past}}, sidVerifier, true},
		{"auth cookie the site refuses: open the login page", []apitype.Cookie{{Name: "sid", Domain: "demo.test", Path: "/", Session: true}}, expiredVerifier, true},
		{"working session: repair silently", []apitype.Cookie{{Name: "sid", Domain: "demo.test", Path: "/", Session: true}}, sidVerifier, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, func(c *Config) { c.Verify = tt.verifier })
			r.browser.cookies = tt.cookies
			res, err := r.m.Interactive(context.Background(), demo, "run-1")
			if err != nil {
				t.Fatal(err)
			}
			if got := len(r.browser.tabs) == 1; got != tt.wantTab || res.Opened != tt.wantTab {
				t.Fatalf("tabs %v, opened %v; want a tab: %v", r.browser.tabs, res.Opened, tt.wantTab)
			}
			if tt.wantTab {
				if !res.Row.AwaitingInteractive || res.TabID != 7 {
					t.Errorf("opened row %+v, want awaiting_interactive and tab 7", res.Row)
				}
				return
			}
			if res.Row.HealthKey != taxonomy.Healthy || res.Row.AwaitingInteractive || res.Preflight == nil {
				t.Errorf("silent repair row %+v, preflight %v; want Healthy, not awaiting, the repair's result", res.Row, res.Preflight)
			}
			if got := r.actions(); len(got) != 1 || got[0] != RecoveryRepairFromChrome {
				t.Errorf("outcomes %v, want one repair_from_chrome", got)
			}
		})
	}
}
