package dbsc

import (
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/authbridge/authbridge/host/internal/sqlitedb"
	"github.com/authbridge/authbridge/host/internal/storetest"
)

func TestCovers(t *testing.T) {
	bound := func(domains ...string) BoundSession {
		s := BoundSession{Site: "https://example.com"}
		for _, d := range domains {
			s.Cookies = append(s.Cookies, BoundCookie{Name: "b", Domain: d, Path: "/"})
		}
		return s
	}
	tests := []struct {
		name    string
		s       BoundSession
		domains []string
		want    bool
	}{
		{"domain cookie, same domain", bound(".example.com"), []string{"example.com"}, true},
		{"domain cookie reaches a subdomain", bound(".example.com"), []string{"mail.example.com"}, true},
		{"host cookie of a subdomain in scope", bound("accounts.example.com"), []string{"example.com"}, true},
		{"other site", bound(".example.com"), []string{"example.org"}, false},
		{"sibling subdomain", bound("a.example.com"), []string{"b.example.com"}, false},
		{"suffix is not a subdomain", bound(".example.com"), []string{"notexample.com"}, false},
		{"no cookies: judged by site", BoundSession{Site: "https://example.com"}, []string{"www.example.com"}, true},
		{"no cookies, other site", BoundSession{Site: "https://example.com"}, []string{"example.org"}, false},
		{"public suffix scope", bound(".example.com"), []string{"com"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Covers(tt.domains); got != tt.want {
				t.Fatalf("%+v.Covers(%v) = %v, want %v", tt.s, tt.domains, got, tt.want)
			}
		})
	}
}

// writeStore makes a DBSC store like Chromium's, holding sites.
func writeStore(t *testing.T, udd string, sites ...string) {
	t.Helper()
	if err := storetest.CreateDBSC(filepath.Join(udd, "Default", StoreName), sites...); err != nil {
		t.Fatal(err)
	}
}

func TestProfileStoredSites(t *testing.T) {
	udd := t.TempDir()
	if got, err := ProfileStoredSites(filepath.Join(udd, "Default"), []string{"dbsc.test"}); err != nil || got != nil {
		t.Fatalf("ProfileStoredSites of a profile without a store = %v, %v, want none", got, err)
	}
	writeStore(t, udd, "https://dbsc.test", "https://google.com", "https://example.org")
	got, err := ProfileStoredSites(filepath.Join(udd, "Default"), []string{"mail.google.com", "dbsc.test"})
	slices.Sort(got)
	if err != nil || !slices.Equal(got, []string{"https://dbsc.test", "https://google.com"}) {
		t.Fatalf("ProfileStoredSites = %v, %v, want dbsc.test and google.com", got, err)
	}
	if got, err := ProfileStoredSites(filepath.Join(udd, "Profile 1"), []string{"dbsc.test"}); err != nil || got != nil {
		t.Fatalf("ProfileStoredSites of a profile without a store = %v, %v, want none", got, err)
	}

	bad := t.TempDir()
	os.MkdirAll(filepath.Join(bad, "Default"), 0o700)
	db, _ := sql.Open(sqlitedb.Driver, filepath.Join(bad, "Default", StoreName))
	db.Exec("CREATE TABLE other (x)")
	db.Close()
	if _, err := ProfileStoredSites(filepath.Join(bad, "Default"), []string{"dbsc.test"}); err == nil || !strings.Contains(err.Error(), "not a DBSC store") {
		t.Fatalf("ProfileStoredSites of a database without the sessions table: %v, want not a DBSC store", err)
	}
}
