package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestOpenMigratesOnceAndIsPrivate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer s.Close()
	var n int
	if err := s.DB.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(migrations) {
		t.Errorf("schema_migrations has %d rows (err %v), want %d", n, err, len(migrations))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state.db mode = %v, want 0600", fi.Mode().Perm())
	}
}

func TestHealthRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.GetHealth(ctx, "demo"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetHealth(missing) error = %v, want ErrNotFound", err)
	}
	at := time.Date(2026, 11, 26, 10, 0, 0, 123e6, time.UTC)
	want := Health{ConnectorID: "demo", Health: "needs_attention", Reason: "SESSION_EXPIRED", Detail: "login_redirect",
		LastVerifiedAt: at, LastFailureAt: at, LastFailureReason: "SESSION_EXPIRED"}
	if err := s.PutHealth(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetHealth(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if got.Health != want.Health || got.Reason != want.Reason || !got.LastVerifiedAt.Equal(at) || !got.LastHeadlessSuccessAt.IsZero() {
		t.Errorf("GetHealth = %+v, want %+v", got, want)
	}
}

func TestReleaseAudit(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.RecordRelease(ctx, Release{At: time.Now(), ConnectorID: "demo", CallerPID: 42, CallerUID: 1000, Count: 3, Format: "playwright", Via: "api"}); err != nil {
		t.Fatal(err)
	}
	rs, err := s.Releases(ctx, "demo", 10)
	if err != nil || len(rs) != 1 || rs[0].Count != 3 || rs[0].CallerPID != 42 {
		t.Fatalf("Releases = %+v, %v", rs, err)
	}
}
