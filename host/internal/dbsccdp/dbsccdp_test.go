package dbsccdp

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/dbsc"
	"github.com/authbridge/authbridge/host/internal/sqlitedb"
	"github.com/authbridge/authbridge/host/internal/storetest"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
)

func TestFromCDP(t *testing.T) {
	s := FromCDP(&network.DeviceBoundSession{
		Key:            &network.DeviceBoundSessionKey{Site: "https://dbsc.test", ID: "s1"},
		RefreshURL:     "https://dbsc.test/dbsc/refresh",
		InclusionRules: &network.DeviceBoundSessionInclusionRules{Origin: "https://dbsc.test", IncludeSite: true},
		CookieCravings: []*network.DeviceBoundSessionCookieCraving{{Name: "dbsc_bound", Domain: ".dbsc.test", Path: "/", Secure: true, HTTPOnly: true}, nil},
		ExpiryDate:     cdp.TimeSinceEpoch(1830697221.5),
	})
	want := BoundSession{
		Site: "https://dbsc.test", ID: "s1", RefreshURL: "https://dbsc.test/dbsc/refresh", Origin: "https://dbsc.test", IncludeSite: true,
		Cookies: []BoundCookie{{Name: "dbsc_bound", Domain: ".dbsc.test", Path: "/", Secure: true, HTTPOnly: true}},
		Expires: time.UnixMilli(1830697221500).UTC(),
	}
	if fmt.Sprint(s) != fmt.Sprint(want) {
		t.Fatalf("FromCDP = %+v, want %+v", s, want)
	}
	if z := FromCDP(nil); z.Site != "" || z.Cookies != nil {
		t.Fatalf("FromCDP(nil) = %+v, want zero", z)
	}
}

func TestParseActivePort(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{"36279\n/devtools/browser/4f1d-aa\n", "ws://127.0.0.1:36279/devtools/browser/4f1d-aa", ""},
		{"9222\r\n/devtools/browser/x\r\n", "ws://127.0.0.1:9222/devtools/browser/x", ""},
		{"", "", "want a port and a path"},
		{"9222\n", "", "want a port and a path"},
		{"http\n/devtools/browser/x", "", "bad port"},
		{"70000\n/devtools/browser/x", "", "bad port"},
		{"9222\n/json/version", "", "bad browser path"},
		{"9222\n/devtools/browser/x?y", "", "bad browser path"},
	}
	for _, tt := range tests {
		got, err := parseActivePort(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseActivePort(%q) = %q, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseActivePort(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseActivePort(f *testing.F) {
	f.Add("36279\n/devtools/browser/4f1d-aa\n")
	f.Add("x\ny")
	f.Fuzz(func(t *testing.T, in string) {
		ws, err := parseActivePort(in)
		if err == nil && !strings.HasPrefix(ws, "ws://127.0.0.1:") {
			t.Fatalf("parseActivePort(%q) = %q, not a loopback websocket", in, ws)
		}
	})
}

// writeStore makes a DBSC store like Chromium's, holding sites.
func writeStore(t *testing.T, udd string, sites ...string) {
	t.Helper()
	if err := storetest.CreateDBSC(filepath.Join(udd, "Default", dbsc.StoreName), sites...); err != nil {
		t.Fatal(err)
	}
}

func TestStoredSites(t *testing.T) {
	udd := t.TempDir()
	if got, err := StoredSites(udd, []string{"dbsc.test"}); err != nil || got != nil {
		t.Fatalf("StoredSites of a profile without a store = %v, %v, want none", got, err)
	}
	writeStore(t, udd, "https://dbsc.test", "https://google.com", "https://example.org")
	got, err := StoredSites(udd, []string{"mail.google.com", "dbsc.test"})
	slices.Sort(got)
	if err != nil || !slices.Equal(got, []string{"https://dbsc.test", "https://google.com"}) {
		t.Fatalf("StoredSites = %v, %v, want dbsc.test and google.com", got, err)
	}

	// One profile folder: its own store only.
	if got, err := dbsc.ProfileStoredSites(filepath.Join(udd, "Default"), []string{"dbsc.test"}); err != nil || !slices.Equal(got, []string{"https://dbsc.test"}) {
		t.Fatalf("dbsc.ProfileStoredSites(Default) = %v, %v, want dbsc.test", got, err)
	}
	if got, err := dbsc.ProfileStoredSites(filepath.Join(udd, "Profile 1"), []string{"dbsc.test"}); err != nil || got != nil {
		t.Fatalf("ProfileStoredSites of a profile without a store = %v, %v, want none", got, err)
	}

	bad := t.TempDir()
	os.MkdirAll(filepath.Join(bad, "Default"), 0o700)
	db, _ := sql.Open(sqlitedb.Driver, filepath.Join(bad, "Default", dbsc.StoreName))
	db.Exec("CREATE TABLE other (x)")
	db.Close()
	if _, err := StoredSites(bad, []string{"dbsc.test"}); err == nil || !strings.Contains(err.Error(), "not a DBSC store") {
		t.Fatalf("StoredSites of a database without the sessions table: %v, want not a DBSC store", err)
	}
}

func TestBoundSessionsWithoutABrowser(t *testing.T) {
	// A browser that cannot start proves that none was started.
	r := &Reader{ExecPath: filepath.Join(t.TempDir(), "no-chromium"), Timeout: 5 * time.Second}
	ctx := context.Background()

	if _, err := r.BoundSessions(ctx, t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "no domains") {
		t.Fatalf("BoundSessions without domains: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "gone")
	if _, err := r.BoundSessions(ctx, missing, []string{"dbsc.test"}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("BoundSessions of a missing profile: %v, want ErrNotExist", err)
	}
	if got, err := r.BoundSessions(ctx, t.TempDir(), []string{"dbsc.test"}); err != nil || got != nil {
		t.Fatalf("BoundSessions of a profile without a store = %v, %v, want none without a browser", got, err)
	}

	if runtime.GOOS == "windows" {
		return
	}
	// A live lock without a DevTools port: this process holds it.
	busy := t.TempDir()
	writeStore(t, busy, "https://dbsc.test")
	host, _ := os.Hostname()
	if err := os.Symlink(fmt.Sprintf("%s-%d", host, os.Getpid()), filepath.Join(busy, "SingletonLock")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.BoundSessions(ctx, busy, []string{"dbsc.test"}); !errors.Is(err, ErrProfileInUse) {
		t.Fatalf("BoundSessions of a profile in use without a port: %v, want ErrProfileInUse", err)
	}
	// With a store and no lock, the reader starts a browser: here one that
	// does not exist, which it says.
	free := t.TempDir()
	writeStore(t, free, "https://dbsc.test")
	if _, err := r.BoundSessions(ctx, free, []string{"dbsc.test"}); err == nil || !strings.Contains(err.Error(), "device-bound sessions of") {
		t.Fatalf("BoundSessions with a missing browser: %v, want a start error", err)
	}
}
