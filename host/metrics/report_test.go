package metrics

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// Fixed run ids, so that the log reads like a story.
const (
	runR1 = "00000000-0000-4000-8000-0000000000a1"
	runR2 = "00000000-0000-4000-8000-0000000000a2"
	runR3 = "00000000-0000-4000-8000-0000000000a3"
	runR4 = "00000000-0000-4000-8000-0000000000a4"
	runR5 = "00000000-0000-4000-8000-0000000000a5"
	runH1 = "00000000-0000-4000-8000-0000000000f1" // host action outside any run
	runM1 = "00000000-0000-4000-8000-0000000000b1"
	runM2 = "00000000-0000-4000-8000-0000000000b2"
	runM3 = "00000000-0000-4000-8000-0000000000b3"
	runM4 = "00000000-0000-4000-8000-0000000000b4"
	runH2 = "00000000-0000-4000-8000-0000000000f2"
)

var evSeq int

// ev builds an event at t0+sec seconds; opts set the optional fields.
func ev(conn, run, typ string, sec int, opts ...func(*Event)) Event {
	evSeq++
	e := Event{
		EventID: uuidN(evSeq), Type: typ, At: t0.Add(time.Duration(sec) * time.Second),
		ConnectorID: conn, RunID: run, Source: SourceApp,
	}
	if typ == TypeSessionCleared {
		e.RecoveryAction = ActionClearSession
	}
	for _, o := range opts {
		o(&e)
	}
	return e
}

func uuidN(n int) string {
	const hex = "0123456789abcdef"
	b := []byte("00000000-0000-4000-8000-000000000000")
	for i := len(b) - 1; n > 0; i-- {
		if b[i] == '-' {
			continue
		}
		b[i] = hex[n%16]
		n /= 16
	}
	return string(b)
}

func mode(m string) func(*Event)   { return func(e *Event) { e.AuthModeUsed = m } }
func reason(r string) func(*Event) { return func(e *Event) { e.AuthFailureReason = r } }
func host(e *Event)                { e.Source = SourceHost }
func tts(ms int64) func(*Event)    { return func(e *Event) { e.TimeToSuccessMS = &ms } }
func action(a string) func(*Event) { return func(e *Event) { e.RecoveryAction = a } }
func attempt(a string, ok bool) func(*Event) {
	return func(e *Event) { e.RecoveryAction, e.RecoverySuccess = a, &ok }
}

// storyLog is two connectors' events. The answers are worked out by hand
// in TestReportByHand.
func storyLog() (events []Event, dup Event) {
	head, inter := mode(ModeHeadlessOnly), mode(ModeInteractiveRequired)
	shop := []Event{
		// R1: a clean headless run, 0s to 5s.
		ev("shop", runR1, TypeRunStarted, 0),
		ev("shop", runR1, TypeAuthChecked, 1, head),
		ev("shop", runR1, TypeRunSucceeded, 5, head),
		// R2: the session expired; the run fails without a person. Opens
		// chain 1.
		ev("shop", runR2, TypeRunStarted, 100),
		ev("shop", runR2, TypeAuthChecked, 101, reason("SESSION_EXPIRED")),
		ev("shop", runR2, TypeRunFailed, 102, reason("SESSION_EXPIRED")),
		// The user clears the session from the popup: a host action with a
		// run of its own (not a run). First action of chain 1: clear.
		ev("shop", runH1, TypeSessionCleared, 150, host),
		// R3: MFA; two interactive repairs, the first fails. Closes chain 1.
		ev("shop", runR3, TypeRunStarted, 200),
		ev("shop", runR3, TypeAuthChecked, 201, reason("MFA_OR_CHALLENGE_REQUIRED")),
		ev("shop", runR3, TypeRecoveryAttempted, 210, inter, attempt(ActionInteractiveRepair, false), host),
		ev("shop", runR3, TypeRecoveryAttempted, 230, inter, attempt(ActionInteractiveRepair, true), host),
		ev("shop", runR3, TypeRunSucceeded, 240, inter),
		// R4: cookie missing, one repair from Chrome works; the app sends
		// its own time to success. Chain 2, guided first.
		ev("shop", runR4, TypeRunStarted, 300),
		ev("shop", runR4, TypeAuthChecked, 301, reason("PROFILE_COOKIE_MISSING")),
		ev("shop", runR4, TypeRecoveryAttempted, 305, inter, attempt(ActionRepairFromChrome, true)),
		ev("shop", runR4, TypeRunSucceeded, 310, inter, tts(9000)),
		// R5: headless, 3s.
		ev("shop", runR5, TypeRunStarted, 400),
		ev("shop", runR5, TypeRunSucceeded, 403, head),
	}
	dup = shop[15] // R4's run_succeeded, sent again
	mail := []Event{
		// M1: checkpoint; the app says a person was needed; it fails with
		// no recovery attempt. Opens chain 3.
		ev("mail", runM1, TypeRunStarted, 0),
		ev("mail", runM1, TypeAuthChecked, 1, reason("CHECKPOINT_OR_SUSPICIOUS_LOGIN")),
		ev("mail", runM1, TypeRunFailed, 2, inter),
		// An interactive repair from the popup, outside any run, fails:
		// first action of chain 3 is a guided repair.
		ev("mail", runH2, TypeRecoveryAttempted, 50, inter, attempt(ActionInteractiveRepair, false), reason("CHECKPOINT_OR_SUSPICIOUS_LOGIN"), host),
		// M2 fails again, headless (nothing says interactive).
		ev("mail", runM2, TypeRunStarted, 100),
		ev("mail", runM2, TypeRunFailed, 101, reason("CHECKPOINT_OR_SUSPICIOUS_LOGIN")),
		// M3: a retry works. Closes chain 3, which spans M1, M2 and M3.
		ev("mail", runM3, TypeRunStarted, 200),
		ev("mail", runM3, TypeRecoveryAttempted, 201, attempt(ActionRetry, true)),
		ev("mail", runM3, TypeRunSucceeded, 205),
		// M4: only a run_succeeded.
		ev("mail", runM4, TypeRunSucceeded, 300, head),
	}
	return append(shop, mail...), dup
}

func f64(v float64) *float64 { return &v }
func i64(v int64) *int64     { return &v }

// TestReportByHand checks every figure of storyLog against answers
// worked out by hand:
//
// shop: runs R1..R5 = 5 (H1 is a host action, not a run).
//
//	interactive: R3, R4 (events say interactive_required) = 2 → 40.0%;
//	headless: R1, R2, R5 = 3 → 60.0%.
//	by reason: R3 MFA_OR_CHALLENGE_REQUIRED 1, R4 PROFILE_COOKIE_MISSING 1.
//	recovered in one attempt: R3's first attempt failed, R4's worked → 1/2 = 50.0%.
//	time to success: R1 5−0 = 5000; R3 from R2's start (the first
//	run_started after R1's success) 240−100 = 140000; R4 the app's 9000;
//	R5 403−400 = 3000. Sorted 3000 5000 9000 140000: P50 rank ⌈2⌉ = 5000,
//	P90 rank ⌈3.6⌉ = 4 → 140000.
//	chains: 1 (R2's failure → R3's success, first action the clear),
//	2 (R4's failure → R4's success, repair from Chrome): clear 1, guided 1.
//	events 18 (the duplicate is stored once); succeeded R1 R3 R4 R5 = 4.
//
// mail: runs M1..M4 = 4 (H2 is not a run).
//
//	interactive: M1 → 25.0%; headless 75.0%. By reason: CHECKPOINT 1.
//	recovered: M1 had no attempt → 0/1 = 0.0%.
//	time to success: M3 205−0 (M1's start, no success before) = 205000;
//	M4 has no run_started: its own first event → 0. Sorted 0 205000:
//	P50 rank 1 → 0, P90 rank ⌈1.8⌉ = 2 → 205000.
//	chains: one (M1 → M3), first action H2's interactive repair: guided 1.
//	events 10; succeeded M3 M4 = 2.
//
// overall: runs 9, interactive 3 → 33.3%, headless 6 → 66.7%; recovered
// 1/3 → 33.3%; times 0 3000 5000 9000 140000 205000: P50 rank 3 → 5000,
// P90 rank ⌈5.4⌉ = 6 → 205000; chains 3 (clear 1, guided 2); events 28;
// succeeded 6.
func TestReportByHand(t *testing.T) {
	events, dup := storyLog()
	want := &Report{
		Connectors: []Figures{
			{
				ConnectorID: "mail", Runs: 4, SucceededRuns: 2, InteractiveRuns: 1,
				HeadlessOnlyPct: f64(75), InteractiveRequiredPct: f64(25),
				InteractiveByReason:      map[string]int{"CHECKPOINT_OR_SUSPICIOUS_LOGIN": 1},
				RecoveredInOneAttemptPct: f64(0),
				TimeToSuccessMS:          Percentiles{P50: i64(0), P90: i64(205000), N: 2},
				FirstRecoveryAction:      FirstActions{GuidedRepair: 1},
				Chains:                   1, Events: 10,
			},
			{
				ConnectorID: "shop", Runs: 5, SucceededRuns: 4, InteractiveRuns: 2,
				HeadlessOnlyPct: f64(60), InteractiveRequiredPct: f64(40),
				InteractiveByReason:      map[string]int{"MFA_OR_CHALLENGE_REQUIRED": 1, "PROFILE_COOKIE_MISSING": 1},
				RecoveredInOneAttemptPct: f64(50),
				TimeToSuccessMS:          Percentiles{P50: i64(5000), P90: i64(140000), N: 4},
				FirstRecoveryAction:      FirstActions{ClearSession: 1, GuidedRepair: 1},
				Chains:                   2, Events: 18,
			},
		},
		Overall: Figures{
			Runs: 9, SucceededRuns: 6, InteractiveRuns: 3,
			HeadlessOnlyPct: f64(66.7), InteractiveRequiredPct: f64(33.3),
			InteractiveByReason:      map[string]int{"CHECKPOINT_OR_SUSPICIOUS_LOGIN": 1, "MFA_OR_CHALLENGE_REQUIRED": 1, "PROFILE_COOKIE_MISSING": 1},
			RecoveredInOneAttemptPct: f64(33.3),
			TimeToSuccessMS:          Percentiles{P50: i64(5000), P90: i64(205000), N: 6},
			FirstRecoveryAction:      FirstActions{ClearSession: 1, GuidedRepair: 2},
			Chains:                   3, Events: 28,
		},
	}

	// Arrival order must not matter: shuffle, and send R4's success twice.
	shuffled := append([]Event(nil), events...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	rec := newTestRecorder(t)
	ctx := context.Background()
	half := len(shuffled) / 2
	if _, err := rec.Record(ctx, shuffled[:half]); err != nil {
		t.Fatal(err)
	}
	st, err := rec.Record(ctx, append(shuffled[half:], dup))
	if err != nil {
		t.Fatal(err)
	}
	if st.Duplicates != 1 || st.Accepted != len(shuffled)-half+1 {
		t.Errorf("Record = %+v, want 1 duplicate of %d", st, len(shuffled)-half+1)
	}
	got, err := rec.Report(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, "stored", got, want)
	// The in-memory path gives the same answers (without the duplicate:
	// dedup is the database's job).
	checkReport(t, "in memory", BuildReport(shuffled, nil, t0), want)
}

func checkReport(t *testing.T, name string, got, want *Report) {
	t.Helper()
	g, w := got.Connectors, want.Connectors
	if len(g) != len(w) {
		t.Fatalf("%s: %d connectors, want %d", name, len(g), len(w))
	}
	for i := range w {
		checkFigures(t, name+" "+w[i].ConnectorID, g[i], w[i])
	}
	checkFigures(t, name+" overall", got.Overall, want.Overall)
}

func checkFigures(t *testing.T, name string, got, want Figures) {
	t.Helper()
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) {
		t.Errorf("%s:\n got %s\nwant %s", name, gj, wj)
	}
}

func newTestRecorder(t testing.TB) *Recorder {
	t.Helper()
	rec, err := OpenRecorder(context.Background(), filepath.Join(t.TempDir(), "events.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })
	rec.now = func() time.Time { return t0.Add(24 * time.Hour) }
	return rec
}

// TestReportWindow: since cuts events, not runs. From t0+250s shop has R4
// (4 events) and R5 (2): 2 runs, R4 interactive → 50.0%; R4 recovered in
// one → 100.0%; times 9000 (app) and 3000: P50 rank 1 → 3000, P90 rank 2 →
// 9000; chain 2 only, guided. mail has M4 only: 1 run, headless 100.0%,
// interactive 0.0%, recovered null (no interactive run), time 0.
func TestReportWindow(t *testing.T) {
	events, _ := storyLog()
	rec := newTestRecorder(t)
	ctx := context.Background()
	if _, err := rec.Record(ctx, events); err != nil {
		t.Fatal(err)
	}
	since := t0.Add(250 * time.Second)
	got, err := rec.Report(ctx, &since)
	if err != nil {
		t.Fatal(err)
	}
	want := &Report{Connectors: []Figures{
		{
			ConnectorID: "mail", Runs: 1, SucceededRuns: 1, HeadlessOnlyPct: f64(100), InteractiveRequiredPct: f64(0),
			InteractiveByReason: map[string]int{}, TimeToSuccessMS: Percentiles{P50: i64(0), P90: i64(0), N: 1}, Events: 1,
		},
		{
			ConnectorID: "shop", Runs: 2, SucceededRuns: 2, InteractiveRuns: 1, HeadlessOnlyPct: f64(50), InteractiveRequiredPct: f64(50),
			InteractiveByReason: map[string]int{"PROFILE_COOKIE_MISSING": 1}, RecoveredInOneAttemptPct: f64(100),
			TimeToSuccessMS: Percentiles{P50: i64(3000), P90: i64(9000), N: 2}, FirstRecoveryAction: FirstActions{GuidedRepair: 1},
			Chains: 1, Events: 6,
		},
	}, Overall: Figures{
		Runs: 3, SucceededRuns: 3, InteractiveRuns: 1, HeadlessOnlyPct: f64(66.7), InteractiveRequiredPct: f64(33.3),
		InteractiveByReason: map[string]int{"PROFILE_COOKIE_MISSING": 1}, RecoveredInOneAttemptPct: f64(100),
		TimeToSuccessMS: Percentiles{P50: i64(3000), P90: i64(9000), N: 3}, FirstRecoveryAction: FirstActions{GuidedRepair: 1},
		Chains: 1, Events: 7,
	}}
	checkReport(t, "window", got, want)
	if got.Since == nil || !got.Since.Equal(since) {
		t.Errorf("Since = %v, want %v", got.Since, since)
	}
}

// TestReportEmpty: no events gives zero counts and null answers.
func TestReportEmpty(t *testing.T) {
	got, err := newTestRecorder(t).Report(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	var m map[string]any
	json.Unmarshal(b, &m)
	o := m["overall"].(map[string]any)
	for _, k := range []string{"headless_only_pct", "interactive_required_pct", "recovered_in_one_attempt_pct"} {
		if v, ok := o[k]; !ok || v != nil {
			t.Errorf("overall.%s = %v, want null", k, v)
		}
	}
	if tt := o["time_to_success_ms"].(map[string]any); tt["p50"] != nil || tt["p90"] != nil {
		t.Errorf("time_to_success_ms = %v, want null percentiles", tt)
	}
	if c := m["connectors"].([]any); len(c) != 0 {
		t.Errorf("connectors = %v, want []", c)
	}
}

func TestPctAndNearestRank(t *testing.T) {
	for _, c := range []struct {
		n, d int
		want float64
	}{{1, 3, 33.3}, {2, 3, 66.7}, {1, 8, 12.5}, {1, 16, 6.3}, {0, 5, 0}, {5, 5, 100}} {
		if got := pct(c.n, c.d); got == nil || *got != c.want {
			t.Errorf("pct(%d, %d) = %v, want %v", c.n, c.d, got, c.want)
		}
	}
	if pct(1, 0) != nil {
		t.Error("pct(1, 0) is not nil")
	}
	vals := []int64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}
	for p, want := range map[int]int64{50: 50, 90: 90, 91: 100, 1: 10, 100: 100} {
		if got := nearestRank(vals, p); *got != want {
			t.Errorf("nearestRank(1..10 x10, %d) = %d, want %d", p, *got, want)
		}
	}
	if nearestRank(nil, 50) != nil {
		t.Error("nearestRank(nil) is not nil")
	}
}

// TestOverallIsPooled: overall is computed over all runs, not averaged.
func TestOverallIsPooled(t *testing.T) {
	var events []Event
	// a: 1 interactive run of 1; b: 3 headless runs.
	events = append(events, ev("a", uuidN(9001), TypeRunSucceeded, 1, mode(ModeInteractiveRequired)))
	for i := range 3 {
		events = append(events, ev("b", uuidN(9100+i), TypeRunSucceeded, 10+i))
	}
	rep := BuildReport(events, nil, t0)
	if got := *rep.Overall.InteractiveRequiredPct; got != 25 {
		t.Errorf("overall interactive = %v, want 25 (1 of 4 runs, not the mean of 100 and 0)", got)
	}
	if !reflect.DeepEqual(rep.Overall.InteractiveByReason, map[string]int{"UNKNOWN": 1}) {
		t.Errorf("by reason = %v, want UNKNOWN 1 (an interactive run with no reason)", rep.Overall.InteractiveByReason)
	}
}
