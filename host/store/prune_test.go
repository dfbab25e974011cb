package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestPruneReleases: audit rows older than the retention go, the others
// stay.
func TestPruneReleases(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	for _, age := range []time.Duration{200 * 24 * time.Hour, 91 * 24 * time.Hour, 89 * 24 * time.Hour, time.Hour} {
		if err := s.RecordRelease(ctx, Release{At: now.Add(-age), ConnectorID: "demo", Count: 1, Format: "json", Via: "api"}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PruneReleases(ctx, now.Add(-90*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	rel, err := s.Releases(ctx, "demo", 10)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || len(rel) != 2 {
		t.Fatalf("pruned %d, %d left, want 2 and 2", n, len(rel))
	}
}
