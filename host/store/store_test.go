package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
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

// TestConcurrentReleasesAreEachAudited: releases recorded at once from
// many goroutines are committed together, yet every caller returns only
// once its own row is in, and each row is there once; a closed store
// refuses rows.
func TestConcurrentReleasesAreEachAudited(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	const callers, each = 20, 30
	var wg sync.WaitGroup
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				id := fmt.Sprintf("c%02d", c)
				if err := s.RecordRelease(ctx, Release{At: time.Now(), ConnectorID: id, CallerPID: i, Count: 1, Format: "playwright", Via: "api"}); err != nil {
					t.Error(err)
					return
				}
				rs, err := s.Releases(ctx, id, 1)
				if err != nil || len(rs) != 1 || rs[0].CallerPID != i {
					t.Errorf("right after RecordRelease, the newest row of %s is %+v (%v), want the one just recorded", id, rs, err)
					return
				}
			}
		}(c)
	}
	wg.Wait()
	var n int
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM cookie_releases`).Scan(&n); err != nil || n != callers*each {
		t.Fatalf("%d rows (%v), want %d", n, err, callers*each)
	}
	s.Close()
	if err := s.RecordRelease(ctx, Release{At: time.Now(), ConnectorID: "late"}); err == nil {
		t.Error("a closed store recorded a release")
	}
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM cookie_releases`).Scan(&n); err != nil || n != callers*each {
		t.Fatalf("after reopening: %d rows (%v), want %d", n, err, callers*each)
	}
}

// TestUnusableFileIsNamedNotReplaced: an empty, garbage, truncated or
// damaged state.db is refused with its path and what to do, and left as it
// was.
func TestUnusableFileIsNamedNotReplaced(t *testing.T) {
	ctx := context.Background()
	good := filepath.Join(t.TempDir(), "good.db")
	s, err := Open(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		s.PutHealth(ctx, Health{ConnectorID: fmt.Sprintf("c%03d", i), Health: "healthy", Detail: strings.Repeat("x", 500)})
	}
	s.Close()
	whole, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	damaged := slices.Clone(whole)
	for i := 4096 + 100; i < len(damaged) && i < 4096*3; i++ {
		damaged[i] = 0xA5
	}
	tests := []struct {
		name    string
		content []byte
		problem string
	}{
		{"empty", nil, "is empty (0 bytes)"},
		{"garbage", bytes.Repeat([]byte("not sqlite "), 1000), "is not a SQLite database"},
		{"truncated", whole[:len(whole)/2], "corrupt"},
		{"damaged pages", damaged, "corrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			if err := os.WriteFile(path, tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(ctx, path)
			if err == nil {
				s.Close()
				t.Fatal("Open accepted it")
			}
			var ue *UnusableError
			if !errors.As(err, &ue) {
				t.Fatalf("Open error %q is not an *UnusableError", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.Contains(msg, tt.problem) || !strings.Contains(msg, "move it aside") {
				t.Errorf("message %q does not name %s, %q and what to do", msg, path, tt.problem)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(after, tt.content) {
				t.Errorf("the file was changed: %d bytes, had %d", len(after), len(tt.content))
			}
		})
	}
}

func TestOpenCreatesNoStrayFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"state.db"}) {
		t.Errorf("directory holds %q, want only state.db", names)
	}
}

func TestCallerSummaries(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Now().Add(-time.Hour)
	for i, r := range []Release{
		{ConnectorID: "demo", CallerExe: "/usr/bin/node", CallerCmdline: "node index.cjs", Format: "playwright", Count: 2},
		{ConnectorID: "demo", CallerExe: "/usr/bin/curl", CallerCmdline: "curl --unix-socket s", Format: "netscape", Count: 3},
		{ConnectorID: "demo", CallerExe: "/usr/bin/node", CallerCmdline: "node index.cjs", Format: "playwright", Count: 4},
		{ConnectorID: "other", CallerExe: "/usr/bin/node", Format: "playwright", Count: 1},
	} {
		r.At = t0.Add(time.Duration(i) * time.Minute)
		if err := s.RecordRelease(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	sums, total, err := s.CallerSummaries(ctx, "demo", 10)
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || len(sums) != 2 {
		t.Fatalf("CallerSummaries(demo) = %d callers, %d releases; want 2 callers, 3 releases", len(sums), total)
	}
	if s0 := sums[0]; s0.CallerExe != "/usr/bin/node" || s0.Times != 2 || s0.Count != 4 || !s0.FirstAt.Equal(t0.Truncate(time.Millisecond)) && s0.FirstAt.Sub(t0).Abs() > time.Second {
		t.Errorf("newest caller = %+v, want node, 2 times, last with 4 cookies", s0)
	}
	if sums[1].CallerExe != "/usr/bin/curl" || sums[1].Times != 1 {
		t.Errorf("second caller = %+v, want curl once", sums[1])
	}
}
