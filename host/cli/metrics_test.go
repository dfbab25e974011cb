package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/agent"
	"github.com/authbridge/authbridge/host/metrics"
	"github.com/authbridge/authbridge/host/paths"
)

// metricsAgent runs an agent with the metrics routes in this process and
// returns the environment that reaches it.
func metricsAgent(t *testing.T) func(string) string {
	t.Helper()
	home := t.TempDir()
	getenv := paths.WithHome(home, nil)
	p, err := paths.Resolve(getenv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rec, err := metrics.OpenRecorder(ctx, p.EventsDB, nil)
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	a, err := agent.New(ctx, agent.Config{Paths: p, ExtraRoutes: metrics.Routes(rec), OnOutcome: rec.OnOutcome, Ready: func() { close(ready) }})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { a.Run(ctx); rec.Close(); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("agent not ready")
	}
	return getenv
}

func runCLI(t *testing.T, getenv func(string) string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"authbridge"}, args...), strings.NewReader(stdin), &out, &errb, getenv)
	return code, out.String(), errb.String()
}

const (
	cliRun   = "6f1c1f0e-5d0a-4b7e-9a57-0c1d2e3f4a5b"
	cliLines = `{"event_id":"0b9c2d1e-0000-4000-8000-000000000001","type":"run_started","at":"2026-11-20T09:00:00Z","connector_id":"shop","run_id":"` + cliRun + `"}
{"event_id":"0b9c2d1e-0000-4000-8000-000000000002","type":"auth_checked","at":"2026-11-20T09:00:01Z","connector_id":"shop","run_id":"` + cliRun + `","auth_failure_reason":"SESSION_EXPIRED"}
{"event_id":"0b9c2d1e-0000-4000-8000-000000000003","type":"recovery_attempted","at":"2026-11-20T09:00:20Z","connector_id":"shop","run_id":"` + cliRun + `","recovery_action":"interactive_repair","recovery_success":true,"auth_mode_used":"interactive_required"}
{"event_id":"0b9c2d1e-0000-4000-8000-000000000004","type":"run_succeeded","at":"2026-11-20T09:00:30Z","connector_id":"shop","run_id":"` + cliRun + `","auth_mode_used":"interactive_required"}
`
)

func TestEventAndReport(t *testing.T) {
	getenv := metricsAgent(t)
	code, out, errs := runCLI(t, getenv, cliLines, "event")
	if code != ExitOK || !strings.Contains(out, "stored 4 events (4 new, 0 duplicates") {
		t.Fatalf("event = %d %q %q", code, out, errs)
	}
	code, out, _ = runCLI(t, getenv, cliLines, "event")
	if code != ExitOK || !strings.Contains(out, "(0 new, 4 duplicates") {
		t.Errorf("event again = %d %q", code, out)
	}
	bad := cliLines + `{"type":"run_started","connector_id":"shop","run_id":""}` + "\n" + `{"type":"run_started","connector_id":"shop","run_id":"` + cliRun + `","cookie":"x"}` + "\n"
	code, out, errs = runCLI(t, getenv, bad, "event")
	if code != ExitError || out != "" || !strings.Contains(errs, "line 5: run_id") || !strings.Contains(errs, `line 6: cookie: unknown field`) ||
		!strings.Contains(errs, "nothing was stored") {
		t.Errorf("event with bad lines = %d %q %q; want exit 1 naming lines 5 and 6", code, out, errs)
	}

	code, out, errs = runCLI(t, getenv, "", "report", "--json")
	var rep metrics.Report
	if err := json.Unmarshal([]byte(out), &rep); code != ExitOK || err != nil {
		t.Fatalf("report --json = %d %v %q", code, err, errs)
	}
	// One interactive run, recovered in its first attempt, 30 s.
	o := rep.Overall
	if o.Runs != 1 || *o.InteractiveRequiredPct != 100 || *o.RecoveredInOneAttemptPct != 100 || *o.TimeToSuccessMS.P50 != 30000 ||
		o.InteractiveByReason["SESSION_EXPIRED"] != 1 || o.FirstRecoveryAction.GuidedRepair != 1 || len(rep.Connectors) != 1 {
		t.Errorf("report --json = %s", out)
	}
	code, out, _ = runCLI(t, getenv, "", "report")
	if code != ExitOK || !strings.Contains(out, "shop") || !strings.Contains(out, "100.0%") || !strings.Contains(out, "SESSION_EXPIRED 1") {
		t.Errorf("report = %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, getenv, "", "report", "--since", "1h")
	if code != ExitOK || !strings.Contains(out, "No runs recorded in this window") {
		t.Errorf("report --since 1h = %d\n%s", code, out)
	}
	if code, _, errs = runCLI(t, getenv, "", "report", "--since", "soon"); code != ExitUsage {
		t.Errorf("report --since soon = %d %q, want usage", code, errs)
	}

	html := filepath.Join(t.TempDir(), "report.html")
	if code, _, errs = runCLI(t, getenv, "", "report", "--html", html); code != ExitOK {
		t.Fatalf("report --html = %d %q", code, errs)
	}
	if b, err := os.ReadFile(html); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("html file: %v", err)
	}

	code, out, errs = runCLI(t, getenv, "", "report", "--export", "ndjson")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != ExitOK || len(lines) != 4 {
		t.Fatalf("report --export ndjson = %d %q %q", code, out, errs)
	}
	want := `{"event_id":"0b9c2d1e-0000-4000-8000-000000000003","type":"recovery_attempted","at":"2026-11-20T09:00:20.000000Z","connector_id":"shop","run_id":"` + cliRun +
		`","auth_mode_used":"interactive_required","auth_failure_reason":"","recovery_action":"interactive_repair","recovery_success":true,"time_to_success_ms":null,"source":"app"}`
	if lines[2] != want {
		t.Errorf("export line 3:\n got %s\nwant %s", lines[2], want)
	}
	if code, _, _ = runCLI(t, getenv, "", "report", "--export", "csv"); code != ExitUsage {
		t.Errorf("report --export csv = %d, want usage", code)
	}
}

// TestAppRunID: the app's run ids ("<platform id>-<epoch ms>") are
// accepted by `authbridge event`, exported verbatim and counted as one run.
func TestAppRunID(t *testing.T) {
	getenv := metricsAgent(t)
	const run = "linkedin-playwright-1764590000000"
	lines := `{"type":"run_started","at":"2026-11-20T09:00:00Z","connector_id":"linkedin-playwright","run_id":"` + run + `"}
{"type":"auth_checked","at":"2026-11-20T09:00:01Z","connector_id":"linkedin-playwright","run_id":"` + run + `","auth_mode_used":"headless_only"}
{"type":"run_succeeded","at":"2026-11-20T09:00:09Z","connector_id":"linkedin-playwright","run_id":"` + run + `","auth_mode_used":"headless_only"}
`
	if code, out, errs := runCLI(t, getenv, lines, "event"); code != ExitOK || !strings.Contains(out, "stored 3 events") {
		t.Fatalf("event = %d %q %q", code, out, errs)
	}
	code, out, errs := runCLI(t, getenv, "", "report", "--export", "ndjson")
	if code != ExitOK || strings.Count(out, `"run_id":"`+run+`"`) != 3 {
		t.Errorf("export = %d %q %q; want the run id verbatim on 3 lines", code, out, errs)
	}
	code, out, errs = runCLI(t, getenv, "", "report", "--json")
	var rep metrics.Report
	if err := json.Unmarshal([]byte(out), &rep); code != ExitOK || err != nil {
		t.Fatalf("report --json = %d %v %q", code, err, errs)
	}
	if rep.Overall.Runs != 1 || rep.Overall.SucceededRuns != 1 || *rep.Overall.HeadlessOnlyPct != 100 {
		t.Errorf("report: %d runs, %d succeeded; want 1 headless run that succeeded", rep.Overall.Runs, rep.Overall.SucceededRuns)
	}
	bad := `{"type":"run_started","connector_id":"linkedin-playwright","run_id":"line\u0007bell"}` + "\n"
	if code, _, errs := runCLI(t, getenv, bad, "event"); code != ExitError || !strings.Contains(errs, "line 1: run_id:") || !strings.Contains(errs, "U+0007") {
		t.Errorf("a run id with a control character = %d %q; want refused naming line 1 and run_id", code, errs)
	}
}
