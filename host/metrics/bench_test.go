package metrics

import (
	"context"
	"testing"
	"time"
)

// BenchmarkIngest parses and stores batches of BenchBatch synthetic events
// (the POST /v1/events path without HTTP) and reports events/s.
func BenchmarkIngest(b *testing.B) {
	rec := newTestRecorder(b)
	ctx := context.Background()
	batches := SyntheticBatches(b.N*BenchBatch, BenchBatch, uint64(b.N))
	b.ResetTimer()
	start := time.Now()
	for _, batch := range batches {
		events, err := ParseEvents(batch, time.Now())
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
	n := benchReportEvents
	rec := newTestRecorder(b)
	ctx := context.Background()
	for _, batch := range SyntheticBatches(n, BenchBatch, 1) {
		events, err := ParseEvents(batch, time.Now())
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
