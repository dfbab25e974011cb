package metricsbench

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/metrics"
)

func newRecorder(b *testing.B) *metrics.Recorder {
	b.Helper()
	rec, err := metrics.OpenRecorder(context.Background(), filepath.Join(b.TempDir(), "events.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rec.Close() })
	return rec
}

// BenchmarkIngest parses and stores batches of BenchBatch synthetic events
// (the POST /v1/events path without HTTP) and reports events/s.
func BenchmarkIngest(b *testing.B) {
	rec := newRecorder(b)
	ctx := context.Background()
	batches := SyntheticBatches(b.N*BenchBatch, BenchBatch, uint64(b.N))
	b.ResetTimer()
	start := time.Now()
	for _, batch := range batches {
		events, err := metrics.ParseEvents(batch, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rec.Record(ctx, events); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*BenchBatch)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkReport builds the report over 1,000,000 stored events; run it
// with -benchtime 1x (storing the events takes longer than the report).
func BenchmarkReport(b *testing.B) {
	const n = 1_000_000
	rec := newRecorder(b)
	ctx := context.Background()
	for _, batch := range SyntheticBatches(n, 50000, 1) {
		events, err := metrics.ParseEvents(batch, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rec.Record(ctx, events); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		rep, err := rec.Report(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Overall.Events != n {
			b.Fatalf("report over %d events, want %d", rep.Overall.Events, n)
		}
	}
}

// benchReportEvents is how many events BenchmarkReport stores.
var benchReportEvents = 1_000_000

// BenchmarkParse parses one batch of BenchBatch synthetic events (the
// POST /v1/events path without HTTP and storage).
func BenchmarkParse(b *testing.B) {
	batch := SyntheticBatches(BenchBatch, BenchBatch, 1)[0]
	b.SetBytes(int64(len(batch)))
	for b.Loop() {
		if _, err := metrics.ParseEvents(batch, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*BenchBatch)/b.Elapsed().Seconds(), "events/s")
}
