package cookies

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// fixedNow is the instant every golden test runs at: 2026-01-01T00:00:00Z.
var fixedNow = time.Unix(1767225600, 0).UTC()

// inAYear is a fractional expiry well after fixedNow (2027-01-01T00:00:00.75Z).
const inAYear = 1798761600.75

func ptr[T any](v T) *T { return &v }

// bigValue is a 4096-byte cookie value, the most Chrome stores for name and
// value together minus the name: long enough to catch truncation.
var bigValue = func() string {
	const unit = "0123456789abcdef-_.~ABCDEFGHIJKLMNOPQRSTUVWXYZ+/=%"
	var b strings.Builder
	for b.Len() < 4096 {
		b.WriteString(unit)
	}
	return b.String()[:4096]
}()

// fixtureCookies covers every mapping the formats care about. Values are
// synthetic; none is a real secret.
func fixtureCookies() []apitype.Cookie {
	return []apitype.Cookie{
		// Host-only session cookie, httpOnly, lax, plain http.
		{Name: "sid", Value: "s3ss10n", Domain: "demo.test", Path: "/", HostOnly: true,
			HttpOnly: true, SameSite: "lax", Session: true, StoreID: "0"},
		// Domain cookie, persistent with a fractional expiry, secure, None.
		{Name: "pref", Value: "dark", Domain: ".demo.test", Path: "/", Secure: true,
			SameSite: "no_restriction", ExpirationDate: inAYear, StoreID: "0"},
		// Strict, on a path, host-only on a subdomain.
		{Name: "csrf", Value: "tok", Domain: "account.demo.test", Path: "/settings", HostOnly: true,
			Secure: true, SameSite: "strict", Session: true},
		// Unspecified sameSite, persistent, whole-second expiry.
		{Name: "legacy", Value: "1", Domain: ".demo.test", Path: "/app", SameSite: "unspecified",
			ExpirationDate: 1798761600},
		// Missing sameSite (treated as unspecified).
		{Name: "nosamesite", Value: "2", Domain: ".demo.test", Path: "/app/", Session: true},
		// Partitioned, key reported with hasCrossSiteAncestor=false.
		{Name: "__Host-chip", Value: "p1", Domain: "demo.test", Path: "/", HostOnly: true, Secure: true,
			SameSite: "no_restriction", Session: true,
			PartitionKey: &apitype.PartitionKey{TopLevelSite: "https://demo.test", HasCrossSiteAncestor: ptr(false)}},
		// Partitioned under another site, hasCrossSiteAncestor missing (inferred true).
		{Name: "embed", Value: "p2", Domain: ".widgets.demo.test", Path: "/", Secure: true,
			SameSite: "no_restriction", ExpirationDate: inAYear,
			PartitionKey: &apitype.PartitionKey{TopLevelSite: "https://other.example"}},
		// Values that break naive tools.
		{Name: "eq", Value: "a=b==c", Domain: ".demo.test", Path: "/", SameSite: "lax", Session: true},
		{Name: "quoted", Value: `"quoted value"`, Domain: ".demo.test", Path: "/", SameSite: "lax", Session: true},
		{Name: "comma", Value: "x,y, z", Domain: ".demo.test", Path: "/", SameSite: "lax", Session: true},
		{Name: "pct", Value: "100%25%E2%9C%93%zz", Domain: ".demo.test", Path: "/", SameSite: "lax", Session: true},
		{Name: "utf8", Value: "héllo✓", Domain: ".demo.test", Path: "/", SameSite: "lax", Session: true},
		{Name: "html", Value: "<b>&x</b>", Domain: ".demo.test", Path: "/", SameSite: "lax", Session: true},
		{Name: "empty", Value: "", Domain: ".demo.test", Path: "/", SameSite: "lax", Session: true},
		{Name: "", Value: "unnamed", Domain: "demo.test", Path: "/", HostOnly: true, SameSite: "lax", Session: true},
		{Name: "big", Value: bigValue, Domain: ".demo.test", Path: "/", SameSite: "lax", Session: true},
		// An IP host, host-only, secure (a secure context over http on loopback).
		{Name: "ip", Value: "v", Domain: "127.0.0.1", Path: "/", HostOnly: true, Secure: true,
			SameSite: "lax", Session: true},
		// Expired one second before fixedNow: Encode leaves it out everywhere.
		{Name: "gone", Value: "old", Domain: ".demo.test", Path: "/", SameSite: "lax",
			ExpirationDate: 1767225599.5},
	}
}

// checkGolden compares got with testdata/name, or rewrites the file with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gl), len(wl)) {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s differs from the golden file at line %d:\n got: %s\nwant: %s\n(go test -update rewrites it)",
				name, i+1, clip(g), clip(w))
		}
	}
}

// clip shortens a line for a failure message.
func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}
