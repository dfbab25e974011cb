// Package metricsbench builds synthetic dogfood events and measures the
// metrics ingestion and report on them, for `make bench` and the package's
// benchmarks. It is not part of the agent.
package metricsbench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/authbridge/authbridge/host/metrics"
)

// BenchBatch is how many events one ingestion batch holds in Bench.
const BenchBatch = 10000

// Bench ingests n synthetic events into a fresh database under dir, in
// batches of BenchBatch through the same path as POST /v1/events (parse,
// validate, one transaction per batch), then builds the report over all of
// them a few times. It prints the ingestion rate and the median report time.
func Bench(ctx context.Context, dir string, n int, out io.Writer) error {
	rec, err := metrics.OpenRecorder(ctx, filepath.Join(dir, "events.db"), nil)
	if err != nil {
		return err
	}
	defer rec.Close()
	batches := SyntheticBatches(n, BenchBatch, 1)
	start := time.Now()
	for _, b := range batches {
		events, err := metrics.ParseEvents(b, time.Now())
		if err != nil {
			return err
		}
		if _, err := rec.Record(ctx, events); err != nil {
			return err
		}
	}
	ingest := time.Since(start)
	stored, err := rec.Count(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "metrics ingest: %d events in %d batches of %d in %s: %.0f events/s\n",
		stored, len(batches), BenchBatch, ingest.Round(time.Millisecond), float64(n)/ingest.Seconds())
	var times []time.Duration
	var rep *metrics.Report
	for range 5 {
		t0 := time.Now()
		if rep, err = rec.Report(ctx, nil); err != nil {
			return err
		}
		times = append(times, time.Since(t0))
	}
	slices.Sort(times)
	fmt.Fprintf(out, "metrics report: %d events, %d runs, %d connectors: median %s over %d runs (min %s, max %s)\n",
		rep.Overall.Events, rep.Overall.Runs, len(rep.Connectors), times[len(times)/2].Round(time.Millisecond), len(times),
		times[0].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond))
	return nil
}

// SyntheticBatches makes n plausible events as JSON lines, split into
// batches of size events: runs of 2 to 6 events over 20 connectors and 30
// days, about one run in five needing a repair, with random (version 4)
// event ids as apps send them. The same seed gives the same events.
func SyntheticBatches(n, size int, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var batches [][]byte
	var cur []byte
	count := 0
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 30 * 24 * time.Hour / time.Duration(max(n, 1))
	randUUID := func() string {
		var u uuid.UUID
		for i := range u {
			u[i] = byte(rng.Uint32())
		}
		u[6] = u[6]&0x0f | 0x40
		u[8] = u[8]&0x3f | 0x80
		return u.String()
	}
	emit := func(connector, run, rest string) {
		if count >= n {
			return
		}
		t = t.Add(step)
		cur = fmt.Appendf(cur, `{"event_id":%q,"at":%q,"connector_id":%q,"run_id":%q%s}`+"\n",
			randUUID(), t.Format(time.RFC3339Nano), connector, run, rest)
		count++
		if count%size == 0 {
			batches = append(batches, cur)
			cur = nil
		}
	}
	for count < n {
		connector := fmt.Sprintf("site-%02d", rng.IntN(20))
		run := randUUID()
		emit(connector, run, `,"type":"run_started"`)
		switch r := rng.IntN(10); {
		case r < 8:
			emit(connector, run, `,"type":"auth_checked","auth_mode_used":"headless_only"`)
			emit(connector, run, `,"type":"run_succeeded","auth_mode_used":"headless_only"`)
		case r < 9:
			emit(connector, run, `,"type":"auth_checked","auth_failure_reason":"SESSION_EXPIRED"`)
			emit(connector, run, `,"type":"recovery_attempted","recovery_action":"interactive_repair","recovery_success":true,"auth_mode_used":"interactive_required","source":"host"`)
			emit(connector, run, `,"type":"run_succeeded","auth_mode_used":"interactive_required"`)
		default:
			emit(connector, run, `,"type":"auth_checked","auth_failure_reason":"PROFILE_COOKIE_MISSING"`)
			emit(connector, run, `,"type":"session_cleared"`)
			emit(connector, run, `,"type":"recovery_attempted","recovery_action":"repair_from_chrome","recovery_success":false,"auth_mode_used":"interactive_required"`)
			emit(connector, run, `,"type":"run_failed","auth_failure_reason":"PROFILE_COOKIE_MISSING","auth_mode_used":"interactive_required"`)
		}
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	return batches
}
