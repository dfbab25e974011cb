package chromeprofile

import (
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/internal/sqlitedb"
	"github.com/authbridge/authbridge/host/internal/storetest"
	"github.com/authbridge/authbridge/internal/testtmp"
)

var base = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

func fixtureCookies() []storetest.Cookie {
	return []storetest.Cookie{
		{HostKey: "demo.test", Name: "sid", Path: "/", Created: base, Expires: base.Add(30 * 24 * time.Hour),
			Updated: base.Add(time.Minute), Secure: true, HTTPOnly: true, SameSite: 1, SourceScheme: 2, SourcePort: 443},
		{HostKey: ".demo.test", Name: "pref", Path: "/app", Created: base, SameSite: -1},
		{HostKey: "www.demo.test", Name: "csrf", Path: "/", Created: base, Expires: base.Add(time.Hour), SameSite: 2},
		{HostKey: ".a_b.test", Name: "u", Path: "/", Created: base, Expires: base.Add(time.Hour), SameSite: 0},
		{HostKey: "sub.axb.test", Name: "u", Path: "/", Created: base, Expires: base.Add(time.Hour), SameSite: 0},
		{HostKey: "evildemo.test", Name: "sid", Path: "/", Created: base, Expires: base.Add(time.Hour)},
		{HostKey: "other.test", Name: "x", Path: "/", Created: base, Expires: base.Add(time.Hour)},
	}
}

func writeStore(t testing.TB, dir string, version int, cs []storetest.Cookie) string {
	t.Helper()
	p := filepath.Join(dir, "Cookies")
	if err := storetest.Create(p, version, cs); err != nil {
		t.Fatalf("create store v%d: %v", version, err)
	}
	return p
}

func names(cs []StoredCookie) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.HostKey+" "+c.Name)
	}
	slices.Sort(out)
	return out
}

func TestReadCookieMetaSchemas(t *testing.T) {
	for _, v := range storetest.Versions() {
		t.Run("v"+strconv.Itoa(v), func(t *testing.T) {
			cs := fixtureCookies()
			if v >= 15 {
				cs = append(cs, storetest.Cookie{HostKey: "embed.demo.test", Name: "chip", Path: "/", Created: base,
					Expires: base.Add(time.Hour), Secure: true, SameSite: 0, Partition: "https://top.test", CrossSiteAncestor: true})
			}
			p := writeStore(t, testtmp.Dir(t), v, cs)
			got, err := ReadCookieMeta(p, []string{"demo.test"})
			if err != nil {
				t.Fatalf("ReadCookieMeta: %v", err)
			}
			want := []string{".demo.test pref", "demo.test sid", "www.demo.test csrf"}
			if v >= 15 {
				want = append(want, "embed.demo.test chip")
				slices.Sort(want)
			}
			if !slices.Equal(names(got), want) {
				t.Fatalf("ReadCookieMeta(demo.test) = %v, want %v", names(got), want)
			}
			for _, c := range got {
				switch c.Name {
				case "sid":
					if !c.Expires.Equal(base.Add(30 * 24 * time.Hour)) {
						t.Errorf("sid expires %v, want %v", c.Expires, base.Add(30*24*time.Hour))
					}
					if !c.Created.Equal(base) || !c.Persistent || !c.Secure || !c.HTTPOnly || c.SameSite != "lax" {
						t.Errorf("sid = %+v", c)
					}
					if c.SourceScheme != "secure" || c.SourcePort != 443 {
						t.Errorf("sid source = %s:%d, want secure:443", c.SourceScheme, c.SourcePort)
					}
					wantUpdate := time.Time{}
					if v >= 18 {
						wantUpdate = base.Add(time.Minute)
					}
					if !c.LastUpdate.Equal(wantUpdate) {
						t.Errorf("sid last update %v, want %v", c.LastUpdate, wantUpdate)
					}
					m := c.Meta()
					if !m.HostOnly || m.Session || m.ExpirationDate != float64(base.Add(30*24*time.Hour).UnixMicro())/1e6 {
						t.Errorf("sid meta = %+v", m)
					}
				case "pref":
					if !c.Session() || c.Persistent || c.SameSite != "unspecified" || c.Path != "/app" {
						t.Errorf("pref = %+v, want a session cookie", c)
					}
					if m := c.Meta(); m.HostOnly || !m.Session || m.ExpirationDate != 0 {
						t.Errorf("pref meta = %+v", m)
					}
				case "csrf":
					if c.SameSite != "strict" {
						t.Errorf("csrf samesite %q, want strict", c.SameSite)
					}
				case "chip":
					if c.TopFrameSiteKey != "https://top.test" || (v >= 23) != c.HasCrossSiteAncestor {
						t.Errorf("chip partition = %q %v", c.TopFrameSiteKey, c.HasCrossSiteAncestor)
					}
					if m := c.Meta(); m.PartitionKey == nil || m.PartitionKey.TopLevelSite != "https://top.test" {
						t.Errorf("chip meta partition = %+v", m.PartitionKey)
					}
				}
			}

			// A scope with LIKE wildcards is matched literally.
			got, err = ReadCookieMeta(p, []string{"a_b.test"})
			if err != nil {
				t.Fatal(err)
			}
			if w := []string{".a_b.test u"}; !slices.Equal(names(got), w) {
				t.Errorf("ReadCookieMeta(a_b.test) = %v, want %v", names(got), w)
			}
			all, err := ReadCookieMeta(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != len(cs) {
				t.Errorf("ReadCookieMeta(all) = %d cookies, want %d", len(all), len(cs))
			}
		})
	}
}

func TestNeverSelectsValues(t *testing.T) {
	for _, c := range metaColumns {
		if strings.Contains(c, "value") {
			t.Errorf("metaColumns has %q", c)
		}
	}
}

func TestChromeTime(t *testing.T) {
	tests := []struct {
		us   int64
		want time.Time
	}{
		{0, time.Time{}},
		{11644473600 * 1_000_000, time.Unix(0, 0).UTC()},
		{11644473600*1_000_000 + 1_500_001, time.Unix(1, 500001000).UTC()},
		{13_383_000_000_000_000, time.Date(2025, 2, 2, 20, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		if got := chromeTime(tt.us); !got.Equal(tt.want) {
			t.Errorf("chromeTime(%d) = %v, want %v", tt.us, got, tt.want)
		}
		if got := storetest.ChromeTime(tt.want); got != tt.us {
			t.Errorf("storetest.ChromeTime(%v) = %d, want %d", tt.want, got, tt.us)
		}
	}
}

func TestReadMissingStore(t *testing.T) {
	_, err := ReadCookieMeta(filepath.Join(testtmp.Dir(t), "Cookies"), nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadCookieMeta(missing) = %v, want ErrNotExist", err)
	}
}

func TestReadNotAStore(t *testing.T) {
	dir := testtmp.Dir(t)
	garbage := filepath.Join(dir, "garbage")
	os.WriteFile(garbage, []byte(strings.Repeat("not sqlite ", 500)), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	other := filepath.Join(dir, "other")
	db, _ := sql.Open(sqlitedb.Driver, other)
	db.Exec("CREATE TABLE t(x)")
	db.Close()
	for _, p := range []string{garbage, empty, other} {
		if _, err := ReadCookieMeta(p, nil); !errors.Is(err, ErrNotCookieStore) {
			t.Errorf("ReadCookieMeta(%s) = %v, want ErrNotCookieStore", filepath.Base(p), err)
		}
	}
}

func TestReadTruncatedStore(t *testing.T) {
	dir := testtmp.Dir(t)
	p := filepath.Join(dir, "Cookies")
	if err := storetest.CreateMany(p, 3000); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	if err := os.Truncate(p, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	_, err := ReadCookieMeta(p, nil)
	if !errors.Is(err, ErrStoreUnreadable) {
		t.Fatalf("ReadCookieMeta(truncated) = %v, want ErrStoreUnreadable", err)
	}
}

// TestReadLockedStore reads a store while another connection holds it
// with an exclusive lock, as Chrome does.
func TestReadLockedStore(t *testing.T) {
	p := writeStore(t, testtmp.Dir(t), 24, fixtureCookies())
	db, err := sql.Open(sqlitedb.Driver, "file:"+p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(t.Context(), "ROLLBACK")
	if _, err := conn.ExecContext(t.Context(), "DELETE FROM cookies WHERE name = 'sid'"); err != nil {
		t.Fatal(err)
	}
	// The lock is held: a reader opening the file itself gets SQLITE_BUSY.
	other, _ := sql.Open(sqlitedb.Driver, "file:"+p+"?mode=ro&_busy_timeout=0")
	defer other.Close()
	if err := other.QueryRow("SELECT count(*) FROM cookies").Scan(new(int)); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("a direct reader got %v, want database is locked: the test does not test what it says", err)
	}
	got, err := ReadCookieMeta(p, []string{"demo.test"})
	if err != nil {
		t.Fatalf("ReadCookieMeta(locked) = %v", err)
	}
	if want := []string{".demo.test pref", "demo.test sid", "www.demo.test csrf"}; !slices.Equal(names(got), want) {
		t.Fatalf("ReadCookieMeta(locked) = %v, want the committed %v", names(got), want)
	}
}

// TestReadHalfWrittenStore reads a store in the middle of a transaction
// whose pages already reached the database file: the hot journal must be
// rolled back, giving the last committed state.
func TestReadHalfWrittenStore(t *testing.T) {
	p := filepath.Join(testtmp.Dir(t), "Cookies")
	if err := storetest.CreateMany(p, 2000); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(sqlitedb.Driver, "file:"+p+"?_journal_mode=DELETE&cache_size=-1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("PRAGMA cache_size=1"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	// Rewrite every row so that the small cache spills pages to the file.
	if _, err := tx.Exec("UPDATE cookies SET name = name || '-new', path = '/' || hex(randomblob(64))"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("DELETE FROM cookies WHERE host_key LIKE '%demo.test'"); err != nil {
		t.Fatal(err)
	}
	j, err := os.ReadFile(p + "-journal")
	if err != nil || len(j) < 8 || string(j[:8]) != string(journalMagic) {
		t.Fatalf("no hot journal mid-transaction (err %v, %d bytes): the test does not test what it says", err, len(j))
	}
	snap, err := readStoreFiles(p)
	if err != nil || !snap.needsRecovery() {
		t.Fatalf("readStoreFiles: %v, needsRecovery %v", err, snap.needsRecovery())
	}
	got, err := ReadCookieMeta(p, []string{"demo.test"})
	if err != nil {
		t.Fatalf("ReadCookieMeta(half written) = %v", err)
	}
	if len(got) != 5 {
		t.Fatalf("ReadCookieMeta(half written) = %v, want the 5 committed cookies", names(got))
	}
	for _, c := range got {
		if strings.HasSuffix(c.Name, "-new") {
			t.Errorf("read uncommitted cookie %s", c.Name)
		}
	}
}

func BenchmarkReadCookieMeta(b *testing.B) {
	p := filepath.Join(testtmp.Dir(b), "Cookies")
	if err := storetest.CreateMany(p, 10_000); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cs, err := ReadCookieMeta(p, []string{"demo.test"})
		if err != nil || len(cs) != 5 {
			b.Fatalf("ReadCookieMeta = %d, %v", len(cs), err)
		}
	}
}
