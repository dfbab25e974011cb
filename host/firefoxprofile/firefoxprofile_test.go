package firefoxprofile

import (
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/internal/sqlitedb"
	"github.com/authbridge/authbridge/internal/testtmp"
)

const schema = `CREATE TABLE moz_cookies (id INTEGER PRIMARY KEY, originAttributes TEXT NOT NULL DEFAULT '',
 name TEXT, value TEXT, host TEXT, path TEXT, expiry INTEGER, lastAccessed INTEGER, creationTime INTEGER,
 isSecure INTEGER, isHttpOnly INTEGER, inBrowserElement INTEGER DEFAULT 0, sameSite INTEGER DEFAULT 0,
 rawSameSite INTEGER DEFAULT 0, schemeMap INTEGER DEFAULT 0, isPartitionedAttributeSet INTEGER DEFAULT 0)`

type row struct {
	oa, name, host, path string
	expiry               int64
	secure, httpOnly     int
	sameSite, raw        int
}

// liveStore writes a cookies.sqlite the way Firefox keeps it: WAL mode,
// exclusive locking, changes still in the WAL, the connection left open.
func liveStore(t *testing.T, rows []row) string {
	t.Helper()
	p := filepath.Join(testtmp.Dir(t), "cookies.sqlite")
	db, err := sql.Open(sqlitedb.Driver, "file:"+p+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	for _, q := range []string{"PRAGMA locking_mode=EXCLUSIVE", "PRAGMA wal_autocheckpoint=0", schema} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UnixMicro()
	for _, r := range rows {
		_, err := db.Exec(`INSERT INTO moz_cookies (originAttributes, name, value, host, path, expiry, lastAccessed, creationTime, isSecure, isHttpOnly, sameSite, rawSameSite)
			VALUES (?, ?, 'SECRETVALUE', ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.oa, r.name, r.host, r.path, r.expiry, now, now, r.secure, r.httpOnly, r.sameSite, r.raw)
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(p + "-wal"); err != nil {
		t.Fatalf("the test store should hold changes in its WAL: %v", err)
	}
	return p
}

func TestReadCookieMetaOfALockedLiveStore(t *testing.T) {
	exp := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	p := liveStore(t, []row{
		{"", "sid", ".shop.test", "/", exp.UnixMilli(), 0, 1, 1, 1},
		{"", "hostonly", "shop.test", "/account", exp.Unix(), 0, 0, 0, 0},
		{"", "sec", ".shop.test", "/", exp.UnixMilli(), 1, 0, 0, 0},
		{"", "strict", ".shop.test", "/", exp.UnixMilli(), 0, 0, 2, 2},
		{"^partitionKey=%28https%2Cnews.test%29", "chip", "widget.shop.test", "/", exp.UnixMilli(), 1, 0, 0, 0},
		{"^userContextId=2", "sid", ".shop.test", "/", exp.UnixMilli(), 0, 1, 1, 1},
		{"^privateBrowsingId=1", "pb", ".shop.test", "/", exp.UnixMilli(), 0, 0, 0, 0},
		{"", "newsid", "news.test", "/", exp.UnixMilli(), 0, 0, 0, 0},
	})
	// The store is locked the way Firefox holds it: opening it in place fails.
	if db, err := sql.Open(sqlitedb.Driver, "file:"+p+"?mode=ro&_busy_timeout=0"); err == nil {
		_, qerr := db.Exec("SELECT count(*) FROM moz_cookies")
		db.Close()
		if qerr == nil {
			t.Fatal("the test store is not locked; it does not stand for Firefox's")
		}
	}
	got, err := ReadCookieMeta(p, []string{"shop.test"})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]string{}
	for _, c := range got {
		by[c.Name] = strings.Join([]string{c.HostKey, c.Path, c.SameSite, c.TopFrameSiteKey, boolStr(c.Secure), boolStr(c.HTTPOnly)}, " ")
		if !c.Expires.Equal(exp) && c.Name != "hostonly" {
			t.Errorf("%s expires %v, want %v (milliseconds)", c.Name, c.Expires, exp)
		}
		if c.Name == "hostonly" && !c.Expires.Equal(exp.Truncate(time.Second)) {
			t.Errorf("hostonly expires %v, want %v (seconds)", c.Expires, exp.Truncate(time.Second))
		}
	}
	want := map[string]string{
		"sid":      ".shop.test / lax  false true",
		"hostonly": "shop.test /account unspecified  false false",
		"sec":      ".shop.test / unspecified  true false",
		"strict":   ".shop.test / strict  false false",
		"chip":     "widget.shop.test / unspecified https://news.test true false",
	}
	if len(by) != len(want) || len(got) != len(want) {
		t.Errorf("ReadCookieMeta = %v, want %v (no container, private or other-domain cookies)", by, want)
	}
	for k, v := range want {
		if by[k] != v {
			t.Errorf("%s = %q, want %q", k, by[k], v)
		}
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestNoValueColumnIsRead(t *testing.T) {
	if slices.Contains(metaColumns, "value") {
		t.Fatal("metaColumns includes value")
	}
}

func TestReadCookieMetaErrors(t *testing.T) {
	if _, err := ReadCookieMeta(filepath.Join(testtmp.Dir(t), "cookies.sqlite"), nil); err == nil || !os.IsNotExist(errorsUnwrapAll(err)) && !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing store: %v", err)
	}
	bad := filepath.Join(testtmp.Dir(t), "cookies.sqlite")
	db, _ := sql.Open(sqlitedb.Driver, bad)
	db.Exec("CREATE TABLE other (x)")
	db.Close()
	if _, err := ReadCookieMeta(bad, nil); err == nil || !strings.Contains(err.Error(), "moz_cookies") {
		t.Errorf("a database without moz_cookies: %v", err)
	}
}

func errorsUnwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		next := u.Unwrap()
		if next == nil {
			return err
		}
		err = next
	}
}

func TestParseOriginAttributes(t *testing.T) {
	tests := []struct {
		in   string
		want originAttributes
	}{
		{"", originAttributes{}},
		{"^userContextId=3", originAttributes{userContextID: "3"}},
		{"^firstPartyDomain=shop.test", originAttributes{firstPartyDomain: "shop.test"}},
		{"^partitionKey=%28https%2Cnews.test%29", originAttributes{partitionSite: "https://news.test"}},
		{"^partitionKey=%28https%2Cnews.test%2Cf%29&userContextId=1", originAttributes{userContextID: "1", partitionSite: "https://news.test"}},
		{"^%zz", originAttributes{}},
	}
	for _, tt := range tests {
		if got := parseOriginAttributes(tt.in); got != tt.want {
			t.Errorf("parseOriginAttributes(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestProfiles(t *testing.T) {
	root := testtmp.Dir(t)
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(root, name), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	abs := filepath.Join(testtmp.Dir(t), "elsewhere")
	write("profiles.ini", "[General]\nStartWithLastProfile=1\nVersion=2\n\n[Profile1]\nName=default\nIsRelative=1\nPath=abc.default\nDefault=1\n\n"+
		"[Profile0]\nName=default-esr\nIsRelative=1\nPath=xyz.default-esr\n\n[Profile2]\nName=work\nIsRelative=0\nPath="+abs+"\n\n[Install4F96D1932A9F858E]\nDefault=xyz.default-esr\nLocked=1\n")
	ps, err := Profiles(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.DisplayName+" "+p.Dir+" "+boolStr(p.LastUsed)+" "+filepath.Base(p.CookieStore))
	}
	want := []string{
		"default " + filepath.Join(root, "abc.default") + " false cookies.sqlite",
		"default-esr " + filepath.Join(root, "xyz.default-esr") + " true cookies.sqlite",
		"work " + abs + " false cookies.sqlite",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Profiles =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	write("profiles.ini", "[Profile0]\nName=only\nIsRelative=1\nPath=p.only\nDefault=1\n")
	if ps, _ := Profiles(root); len(ps) != 1 || !ps[0].LastUsed {
		t.Errorf("Default=1 without installs.ini: %+v", ps)
	}
	if _, err := Profiles(testtmp.Dir(t)); err == nil {
		t.Error("Profiles without profiles.ini: no error")
	}
}

func TestIsProfileDir(t *testing.T) {
	d := testtmp.Dir(t)
	if IsProfileDir(d) {
		t.Error("an empty folder is a profile")
	}
	os.WriteFile(filepath.Join(d, "prefs.js"), nil, 0o600)
	if !IsProfileDir(d) || !IsStore(filepath.Join(d, "cookies.sqlite")) || IsStore(filepath.Join(d, "Cookies")) {
		t.Error("IsProfileDir/IsStore wrong")
	}
}
