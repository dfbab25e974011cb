// Package storetest builds Chrome cookie stores (the SQLite "Cookies" file)
// of each schema version Chrome has shipped, for the tests and benchmarks of
// the packages that read them. It writes empty values: no secret ever goes
// into a fixture.
//
// The CREATE statements are those of Chromium's
// net/extras/sqlite/sqlite_persistent_cookie_store.cc (CreateV15Schema ...
// CreateV24Schema and the migrations in DoMigrateDatabaseSchema) and, for
// versions 13 and 14, the version-13 schema in its unit test
// (sqlite_persistent_cookie_store_unittest.cc).
package storetest

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/authbridge/authbridge/host/internal/sqlitedb"
)

const metaTable = "CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR)"

// v13 is the table of versions 13 and 14 (14 only re-encrypted values on
// Windows): source_port and is_same_party added, no partition key yet.
const v13 = "CREATE TABLE cookies(creation_utc INTEGER NOT NULL,host_key TEXT NOT NULL,name TEXT NOT NULL," +
	"value TEXT NOT NULL,path TEXT NOT NULL,expires_utc INTEGER NOT NULL,is_secure INTEGER NOT NULL," +
	"is_httponly INTEGER NOT NULL,last_access_utc INTEGER NOT NULL,has_expires INTEGER NOT NULL DEFAULT 1," +
	"is_persistent INTEGER NOT NULL DEFAULT 1,priority INTEGER NOT NULL DEFAULT 1,encrypted_value BLOB DEFAULT ''," +
	"samesite INTEGER NOT NULL DEFAULT -1,source_scheme INTEGER NOT NULL DEFAULT 0," +
	"source_port INTEGER NOT NULL DEFAULT -1,is_same_party INTEGER NOT NULL DEFAULT 0,UNIQUE (host_key, name, path))"

// v15 adds top_frame_site_key (the partition key) in second position.
const v15 = "CREATE TABLE cookies(creation_utc INTEGER NOT NULL,top_frame_site_key TEXT NOT NULL," +
	"host_key TEXT NOT NULL,name TEXT NOT NULL,value TEXT NOT NULL,encrypted_value BLOB DEFAULT ''," +
	"path TEXT NOT NULL,expires_utc INTEGER NOT NULL,is_secure INTEGER NOT NULL,is_httponly INTEGER NOT NULL," +
	"last_access_utc INTEGER NOT NULL,has_expires INTEGER NOT NULL DEFAULT 1,is_persistent INTEGER NOT NULL DEFAULT 1," +
	"priority INTEGER NOT NULL DEFAULT 1,samesite INTEGER NOT NULL DEFAULT -1,source_scheme INTEGER NOT NULL DEFAULT 0," +
	"source_port INTEGER NOT NULL DEFAULT -1,is_same_party INTEGER NOT NULL DEFAULT 0," +
	"UNIQUE (top_frame_site_key, host_key, name, path))"

// v16 (and v17, which only fixed the v16 migration) moves host_key first,
// drops the defaults and puts uniqueness in a named index.
const v16 = "CREATE TABLE cookies(creation_utc INTEGER NOT NULL,host_key TEXT NOT NULL,top_frame_site_key TEXT NOT NULL," +
	"name TEXT NOT NULL,value TEXT NOT NULL,encrypted_value BLOB NOT NULL,path TEXT NOT NULL," +
	"expires_utc INTEGER NOT NULL,is_secure INTEGER NOT NULL,is_httponly INTEGER NOT NULL," +
	"last_access_utc INTEGER NOT NULL,has_expires INTEGER NOT NULL,is_persistent INTEGER NOT NULL," +
	"priority INTEGER NOT NULL,samesite INTEGER NOT NULL,source_scheme INTEGER NOT NULL," +
	"source_port INTEGER NOT NULL,is_same_party INTEGER NOT NULL)"

// v18 (and v19, which only capped expires_utc at 400 days) adds last_update_utc.
const v18 = "CREATE TABLE cookies(creation_utc INTEGER NOT NULL,host_key TEXT NOT NULL,top_frame_site_key TEXT NOT NULL," +
	"name TEXT NOT NULL,value TEXT NOT NULL,encrypted_value BLOB NOT NULL,path TEXT NOT NULL," +
	"expires_utc INTEGER NOT NULL,is_secure INTEGER NOT NULL,is_httponly INTEGER NOT NULL," +
	"last_access_utc INTEGER NOT NULL,has_expires INTEGER NOT NULL,is_persistent INTEGER NOT NULL," +
	"priority INTEGER NOT NULL,samesite INTEGER NOT NULL,source_scheme INTEGER NOT NULL," +
	"source_port INTEGER NOT NULL,is_same_party INTEGER NOT NULL,last_update_utc INTEGER NOT NULL)"

// v21 removes is_same_party.
const v21 = "CREATE TABLE cookies(creation_utc INTEGER NOT NULL,host_key TEXT NOT NULL,top_frame_site_key TEXT NOT NULL," +
	"name TEXT NOT NULL,value TEXT NOT NULL,encrypted_value BLOB NOT NULL,path TEXT NOT NULL," +
	"expires_utc INTEGER NOT NULL,is_secure INTEGER NOT NULL,is_httponly INTEGER NOT NULL," +
	"last_access_utc INTEGER NOT NULL,has_expires INTEGER NOT NULL,is_persistent INTEGER NOT NULL," +
	"priority INTEGER NOT NULL,samesite INTEGER NOT NULL,source_scheme INTEGER NOT NULL," +
	"source_port INTEGER NOT NULL,last_update_utc INTEGER NOT NULL)"

// v22 adds source_type.
const v22 = "CREATE TABLE cookies(creation_utc INTEGER NOT NULL,host_key TEXT NOT NULL,top_frame_site_key TEXT NOT NULL," +
	"name TEXT NOT NULL,value TEXT NOT NULL,encrypted_value BLOB NOT NULL,path TEXT NOT NULL," +
	"expires_utc INTEGER NOT NULL,is_secure INTEGER NOT NULL,is_httponly INTEGER NOT NULL," +
	"last_access_utc INTEGER NOT NULL,has_expires INTEGER NOT NULL,is_persistent INTEGER NOT NULL," +
	"priority INTEGER NOT NULL,samesite INTEGER NOT NULL,source_scheme INTEGER NOT NULL," +
	"source_port INTEGER NOT NULL,last_update_utc INTEGER NOT NULL,source_type INTEGER NOT NULL)"

// v23 adds has_cross_site_ancestor; v24 only prefixes encrypted values with
// a hash of the domain, with the same schema.
const v23 = "CREATE TABLE cookies(creation_utc INTEGER NOT NULL,host_key TEXT NOT NULL,top_frame_site_key TEXT NOT NULL," +
	"name TEXT NOT NULL,value TEXT NOT NULL,encrypted_value BLOB NOT NULL,path TEXT NOT NULL," +
	"expires_utc INTEGER NOT NULL,is_secure INTEGER NOT NULL,is_httponly INTEGER NOT NULL," +
	"last_access_utc INTEGER NOT NULL,has_expires INTEGER NOT NULL,is_persistent INTEGER NOT NULL," +
	"priority INTEGER NOT NULL,samesite INTEGER NOT NULL,source_scheme INTEGER NOT NULL," +
	"source_port INTEGER NOT NULL,last_update_utc INTEGER NOT NULL,source_type INTEGER NOT NULL," +
	"has_cross_site_ancestor INTEGER NOT NULL)"

const (
	index16 = "CREATE UNIQUE INDEX cookies_unique_index ON cookies(host_key, top_frame_site_key, name, path)"
	index20 = "CREATE UNIQUE INDEX cookies_unique_index ON cookies(host_key, top_frame_site_key, name, path, source_scheme, source_port)"
	index23 = "CREATE UNIQUE INDEX cookies_unique_index ON cookies(host_key, top_frame_site_key, has_cross_site_ancestor, name, path, source_scheme, source_port)"
)

var schemas = map[int][]string{
	13: {v13},
	14: {v13},
	15: {v15},
	16: {v16, index16},
	17: {v16, index16},
	18: {v18, index16},
	19: {v18, index16},
	20: {v18, index20},
	21: {v21, index20},
	22: {v22, index20},
	23: {v23, index23},
	24: {v23, index23},
}

// Versions lists the schema versions Schema knows, oldest first.
func Versions() []int {
	out := make([]int, 0, len(schemas))
	for v := range schemas {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// Schema returns the statements that create the cookies table (and its
// index) of a schema version, and false for a version it does not know.
func Schema(version int) ([]string, bool) {
	s, ok := schemas[version]
	return slices.Clone(s), ok
}

// Cookie is one row to write. Zero times are written as 0 (Chrome's null
// time); an Expires of zero makes a session cookie.
type Cookie struct {
	HostKey   string
	Name      string
	Path      string
	Created   time.Time
	Expires   time.Time
	LastUsed  time.Time
	Updated   time.Time
	Secure    bool
	HTTPOnly  bool
	SameSite  int    // -1 unspecified, 0 no_restriction, 1 lax, 2 strict
	Partition string // top_frame_site_key, "" when not partitioned
	// CrossSiteAncestor is has_cross_site_ancestor (version 23 on).
	CrossSiteAncestor bool
	SourceScheme      int // 0 unset, 1 non-secure, 2 secure
	SourcePort        int
}

// windowsEpochOffset is the number of seconds from 1601-01-01 to 1970-01-01.
const windowsEpochOffset = 11644473600

// ChromeTime converts t to Chrome's stored form: microseconds since
// 1601-01-01 UTC, 0 for the zero time.
func ChromeTime(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return (t.Unix()+windowsEpochOffset)*1_000_000 + int64(t.Nanosecond()/1000)
}

// Create writes a new cookie store of the given schema version at path with
// the cookies, as Chrome would: a meta table with version and
// last_compatible_version, and one row per cookie.
func Create(path string, version int, cs []Cookie) error {
	stmts, ok := schemas[version]
	if !ok {
		return fmt.Errorf("unknown cookie store schema version %d", version)
	}
	db, err := sql.Open(sqlitedb.Driver, "file:"+path+"?_journal_mode=TRUNCATE")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// One transaction: a reader (the profile watcher) sees no store or the
	// whole store, never its tables before its rows.
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, s := range append([]string{metaTable}, stmts...) {
		if _, err := tx.Exec(s); err != nil {
			return fmt.Errorf("schema %d: %w", version, err)
		}
	}
	for _, kv := range [][2]string{{"mmap_status", "-1"}, {"version", fmt.Sprint(version)}, {"last_compatible_version", fmt.Sprint(version)}} {
		if _, err := tx.Exec("INSERT INTO meta(key, value) VALUES (?, ?)", kv[0], kv[1]); err != nil {
			return err
		}
	}
	if err := insert(tx, cs); err != nil {
		return err
	}
	return tx.Commit()
}

// Insert adds cookies to an open store of any version, filling the columns
// that store has, in one transaction.
func Insert(db *sql.DB, cs []Cookie) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := insert(tx, cs); err != nil {
		return err
	}
	return tx.Commit()
}

func insert(tx *sql.Tx, cs []Cookie) error {
	cols, err := columns(tx)
	if err != nil {
		return err
	}
	var names []string
	for _, c := range allColumns {
		if cols[c] {
			names = append(names, c)
		}
	}
	q := "INSERT OR REPLACE INTO cookies(" + strings.Join(names, ",") + ") VALUES (" +
		strings.TrimSuffix(strings.Repeat("?,", len(names)), ",") + ")"
	st, err := tx.Prepare(q)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, c := range cs {
		args := make([]any, 0, len(names))
		for _, n := range names {
			args = append(args, value(c, n))
		}
		if _, err := st.Exec(args...); err != nil {
			return err
		}
	}
	return nil
}

var allColumns = []string{
	"creation_utc", "host_key", "top_frame_site_key", "name", "value", "encrypted_value", "path",
	"expires_utc", "is_secure", "is_httponly", "last_access_utc", "has_expires", "is_persistent",
	"priority", "samesite", "source_scheme", "source_port", "is_same_party", "last_update_utc",
	"source_type", "has_cross_site_ancestor",
}

func value(c Cookie, col string) any {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	switch col {
	case "creation_utc":
		return ChromeTime(c.Created)
	case "host_key":
		return c.HostKey
	case "top_frame_site_key":
		return c.Partition
	case "name":
		return c.Name
	case "value":
		return ""
	case "encrypted_value":
		return []byte("v10-not-a-secret")
	case "path":
		return c.Path
	case "expires_utc":
		return ChromeTime(c.Expires)
	case "is_secure":
		return b(c.Secure)
	case "is_httponly":
		return b(c.HTTPOnly)
	case "last_access_utc":
		return ChromeTime(c.LastUsed)
	case "has_expires", "is_persistent":
		return b(!c.Expires.IsZero())
	case "priority":
		return 1
	case "samesite":
		return c.SameSite
	case "source_scheme":
		return c.SourceScheme
	case "source_port":
		if c.SourcePort == 0 {
			return -1
		}
		return c.SourcePort
	case "is_same_party":
		return 0
	case "last_update_utc":
		return ChromeTime(c.Updated)
	case "source_type":
		return 1
	case "has_cross_site_ancestor":
		return b(c.CrossSiteAncestor)
	}
	return nil
}

func columns(tx *sql.Tx) (map[string]bool, error) {
	rows, err := tx.Query("SELECT name FROM pragma_table_info('cookies')")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}

// CreateMany writes a cookie store of the newest schema with n cookies
// spread over n/10 sites, plus five cookies of demo.test (two of them on
// subdomains), the connector the benchmark reads.
func CreateMany(path string, n int) error {
	now := time.Now()
	cs := make([]Cookie, 0, n+5)
	for i := range n {
		cs = append(cs, Cookie{
			HostKey: fmt.Sprintf(".site%04d.example", i/10), Name: fmt.Sprintf("c%d", i%10), Path: "/",
			Created: now, Expires: now.Add(24 * time.Hour), Updated: now, Secure: true, SameSite: 1,
		})
	}
	for i, h := range []string{"demo.test", ".demo.test", "www.demo.test", ".api.demo.test", "demo.test"} {
		cs = append(cs, Cookie{HostKey: h, Name: fmt.Sprintf("sid%d", i), Path: "/", Created: now,
			Expires: now.Add(time.Hour), Updated: now, SameSite: -1})
	}
	return Create(path, 24, cs)
}

// dbscTable is the table of Chromium's device-bound session store: one row
// per site, the session's serialized proto as the value.
const dbscTable = "CREATE TABLE dbsc_session_tbl (key TEXT, proto BLOB, PRIMARY KEY(key))"

// CreateDBSC writes a device-bound session store at path holding one session
// for each site, with a placeholder proto. Its directory is made if missing.
func CreateDBSC(path string, sites ...string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	db, err := sql.Open(sqlitedb.Driver, path)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, s := range []string{metaTable, dbscTable} {
		if _, err := tx.Exec(s); err != nil {
			return err
		}
	}
	for _, s := range sites {
		if _, err := tx.Exec("INSERT INTO dbsc_session_tbl VALUES (?, ?)", s, []byte{0x0a, 0x01}); err != nil {
			return err
		}
	}
	return tx.Commit()
}
