package chromeprofile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/authbridge/authbridge/host/cookies"
	"github.com/authbridge/authbridge/host/internal/sqlitedb"
)

// Errors of ReadCookieMeta that callers branch on.
var (
	// ErrNotCookieStore is returned for a file that is a database but has
	// no cookies table with the columns every Chrome version has.
	ErrNotCookieStore = errors.New("not a Chrome cookie store")
	// ErrStoreUnreadable is returned when the store could not be read
	// consistently: it is corrupt or truncated, the browser holds it with
	// a lock that forbids even reading (Chrome on Windows), or it kept
	// changing while it was copied. Reading again later may succeed.
	ErrStoreUnreadable = errors.New("cookie store unreadable")
)

// StoredCookie is the metadata of one cookie in a store on disk. It never
// holds the value: neither value nor encrypted_value is ever read.
type StoredCookie struct {
	HostKey    string    // the domain, with a leading dot for a domain cookie
	Name       string    //
	Path       string    //
	Created    time.Time // creation_utc
	Expires    time.Time // expires_utc; zero for a session cookie
	LastAccess time.Time // last_access_utc; zero when unknown
	// LastUpdate is last_update_utc (schema 18 on); zero when the column
	// is absent or the time unknown.
	LastUpdate time.Time
	Secure     bool
	HTTPOnly   bool
	// SameSite is in chrome.cookies terms: "no_restriction", "lax",
	// "strict" or "unspecified".
	SameSite   string
	Persistent bool // has_expires and is_persistent
	// SourceScheme is "unset", "non_secure" or "secure".
	SourceScheme string
	SourcePort   int
	// TopFrameSiteKey is the partition key of a partitioned (CHIPS)
	// cookie: the scheme and site of the top-level frame, e.g.
	// "https://example.com"; empty when not partitioned (schema 15 on).
	TopFrameSiteKey string
	// HasCrossSiteAncestor is has_cross_site_ancestor (schema 23 on).
	HasCrossSiteAncestor bool
}

// Expired reports whether a persistent cookie expired at or before now.
func (c StoredCookie) Expired(now time.Time) bool {
	return !c.Expires.IsZero() && !c.Expires.After(now)
}

// windowsEpochOffset is the number of seconds from 1601-01-01 to 1970-01-01.
const windowsEpochOffset = 11644473600

// chromeTime converts Chrome's stored time (microseconds since 1601-01-01
// UTC, base::Time::ToDeltaSinceWindowsEpoch) to a time.Time. 0 is Chrome's
// null time and gives the zero time.
func chromeTime(us int64) time.Time {
	if us <= 0 {
		return time.Time{}
	}
	sec, usec := us/1_000_000, us%1_000_000
	return time.Unix(sec-windowsEpochOffset, usec*1000).UTC()
}

// metaColumns are the columns ReadCookieMeta reads when the store has them.
// value and encrypted_value are deliberately absent.
var metaColumns = []string{
	"host_key", "name", "path", "creation_utc", "expires_utc", "last_access_utc",
	"last_update_utc", "is_secure", "is_httponly", "samesite", "has_expires",
	"is_persistent", "source_scheme", "source_port", "top_frame_site_key",
	"has_cross_site_ancestor",
}

// requiredColumns exist in every schema since version 10.
var requiredColumns = []string{"host_key", "name", "path", "expires_utc"}

// storeFiles are the files of a store: the database and what SQLite keeps
// next to it (a rollback journal, or a write-ahead log and its index).
var storeFiles = []string{"", "-journal", "-wal"}

// copyAttempts bounds how often ReadCookieMeta reads a store that changes
// while it reads it.
const copyAttempts = 5

// ReadCookieMeta reads the metadata of the cookies of a Chrome cookie store
// (<profile>/Network/Cookies or <profile>/Cookies) whose domain falls in
// one of domains (a domain covers itself and its subdomains, as
// cookies.InScope decides). No domains means every cookie.
//
// The store is never opened in place: Chrome may hold it with an exclusive
// lock, and a reader's lock could make one of Chrome's commits fail. The
// database file and its rollback journal (or WAL) are read, byte for byte
// and without any lock, and read again when a file changed meanwhile.
//
//   - Without a hot journal or WAL (the usual state between Chrome's
//     commits), the bytes are opened as an in-memory database
//     (sqlite3_deserialize): nothing is written anywhere.
//   - With one (Chrome was inside a transaction, or crashed in one), the
//     files are written to a private temporary directory (0700, removed
//     before returning) and that copy is opened read-write, so that SQLite
//     rolls the journal back (or replays the WAL) as it would for Chrome:
//     the result is the last committed state. Opening with immutable=1
//     would skip that and could read half a transaction.
//
// Columns are chosen by name from PRAGMA table_info, so every schema
// version Chrome has shipped (13 to 24) and future ones with added columns
// are read alike.
func ReadCookieMeta(path string, domains []string) ([]StoredCookie, error) {
	var lastErr error
	for attempt := range copyAttempts {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 20 * time.Millisecond)
		}
		snap, err := readStoreFiles(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && !exists(path) {
				return nil, fmt.Errorf("open cookie store %q: %w", path, err)
			}
			lastErr = err
			continue
		}
		var cs []StoredCookie
		if snap.needsRecovery() {
			cs, err = queryRecovered(snap, domains)
		} else {
			cs, err = queryInMemory(snap.files[0], domains)
		}
		if errors.Is(err, ErrNotCookieStore) {
			return nil, fmt.Errorf("read cookie store %q: %w", path, err)
		}
		if err == nil {
			return cs, nil
		}
		lastErr = err
	}
	return nil, fmt.Errorf("read cookie store %q: %w: %w", path, ErrStoreUnreadable, lastErr)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// fileState is what tells that a file changed while it was read.
type fileState struct {
	exists bool
	size   int64
	mtime  time.Time
}

func statFile(p string) fileState {
	fi, err := os.Stat(p)
	if err != nil {
		return fileState{}
	}
	return fileState{true, fi.Size(), fi.ModTime()}
}

// storeSnapshot is the content of a store's files (nil for an absent one),
// in the order of storeFiles.
type storeSnapshot struct {
	files [3][]byte
}

// journalMagic starts a rollback journal's header; a journal whose header
// was zeroed or truncated (a committed transaction) has none.
var journalMagic = []byte{0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7}

// needsRecovery reports whether SQLite must look at the journal or the WAL
// to give the last committed state: a journal with a live header, a
// non-empty WAL, or a database in WAL mode (bytes 18 and 19 of its header).
func (s storeSnapshot) needsRecovery() bool {
	if j := s.files[1]; len(j) >= len(journalMagic) && string(j[:len(journalMagic)]) == string(journalMagic) {
		return true
	}
	if len(s.files[2]) > 0 {
		return true
	}
	db := s.files[0]
	return len(db) >= 20 && (db[18] == 2 || db[19] == 2)
}

// readStoreFiles reads the store's files and fails when one of them
// changed meanwhile. The journal is read first: a journal that appears
// after the database was read belongs to a later transaction, and the
// final stat catches the database changing meanwhile.
func readStoreFiles(path string) (storeSnapshot, error) {
	var snap storeSnapshot
	var before [3]fileState
	for i, suf := range storeFiles {
		before[i] = statFile(path + suf)
	}
	if !before[0].exists {
		_, err := os.Stat(path)
		return snap, err
	}
	for _, i := range []int{1, 2, 0} {
		if !before[i].exists {
			continue
		}
		b, err := os.ReadFile(path + storeFiles[i])
		if err != nil {
			return snap, err
		}
		snap.files[i] = b
	}
	for i, suf := range storeFiles {
		if statFile(path+suf) != before[i] {
			return snap, errors.New("the store changed while it was read")
		}
	}
	return snap, nil
}

// queryInMemory opens the database bytes as an in-memory database.
func queryInMemory(dbBytes []byte, domains []string) ([]StoredCookie, error) {
	if len(dbBytes) == 0 {
		return nil, fmt.Errorf("%w: empty file", ErrNotCookieStore)
	}
	return withConn(":memory:", func(ctx context.Context, conn *sql.Conn) ([]StoredCookie, error) {
		if err := sqlitedb.Deserialize(conn, dbBytes); err != nil {
			if errors.Is(err, sqlitedb.ErrNoDeserialize) {
				return queryRecovered(storeSnapshot{files: [3][]byte{dbBytes}}, domains)
			}
			return nil, err
		}
		return queryConn(ctx, conn, domains)
	})
}

// withConn opens one connection to the SQLite database dsn and runs fn on
// it: the one way this package opens a store.
func withConn(dsn string, fn func(ctx context.Context, conn *sql.Conn) ([]StoredCookie, error)) ([]StoredCookie, error) {
	db, err := sql.Open(sqlitedb.Driver, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return fn(ctx, conn)
}

// queryRecovered writes the store's files to a private temporary directory
// and reads that copy, letting SQLite roll back a hot journal or replay a
// WAL first.
func queryRecovered(snap storeSnapshot, domains []string) ([]StoredCookie, error) {
	tmp, err := os.MkdirTemp("", "authbridge-cookies-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	copyPath := filepath.Join(tmp, "Cookies")
	for i, suf := range storeFiles {
		if snap.files[i] == nil {
			continue
		}
		if err := os.WriteFile(copyPath+suf, snap.files[i], 0o600); err != nil {
			return nil, err
		}
	}
	return withConn(sqlitedb.DSN(copyPath, sqlitedb.Options{Mode: "rw", NoBusyWait: true}), func(ctx context.Context, conn *sql.Conn) ([]StoredCookie, error) {
		return queryConn(ctx, conn, domains)
	})
}

// queryConn reads the cookies' metadata from an open store.
func queryConn(ctx context.Context, db *sql.Conn, domains []string) ([]StoredCookie, error) {
	present, err := tableColumns(ctx, db)
	if err != nil {
		return nil, err
	}
	for _, c := range requiredColumns {
		if !present[c] {
			return nil, fmt.Errorf("%w: no cookies.%s column", ErrNotCookieStore, c)
		}
	}
	var cols []string
	for _, c := range metaColumns {
		if present[c] {
			cols = append(cols, c)
		}
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM cookies"
	where, args := domainFilter(domains)
	q += where
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var out []StoredCookie
	vals := make([]sql.NullString, len(cols))
	ints := make([]sql.NullInt64, len(cols))
	dest := make([]any, len(cols))
	for rows.Next() {
		for i, c := range cols {
			switch c {
			case "host_key", "name", "path", "top_frame_site_key":
				dest[i] = &vals[i]
			default:
				dest[i] = &ints[i]
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		c := StoredCookie{SameSite: "unspecified", SourceScheme: "unset", SourcePort: -1, Persistent: true}
		for i, col := range cols {
			s, n := vals[i].String, ints[i].Int64
			switch col {
			case "host_key":
				c.HostKey = s
			case "name":
				c.Name = s
			case "path":
				c.Path = s
			case "top_frame_site_key":
				c.TopFrameSiteKey = s
			case "creation_utc":
				c.Created = chromeTime(n)
			case "expires_utc":
				c.Expires = chromeTime(n)
			case "last_access_utc":
				c.LastAccess = chromeTime(n)
			case "last_update_utc":
				c.LastUpdate = chromeTime(n)
			case "is_secure":
				c.Secure = n != 0
			case "is_httponly":
				c.HTTPOnly = n != 0
			case "samesite":
				c.SameSite = sameSiteName(n)
			case "has_expires", "is_persistent":
				if ints[i].Valid && n == 0 {
					c.Persistent = false
				}
			case "source_scheme":
				c.SourceScheme = sourceSchemeName(n)
			case "source_port":
				if ints[i].Valid {
					c.SourcePort = int(n)
				}
			case "has_cross_site_ancestor":
				c.HasCrossSiteAncestor = n != 0
			}
		}
		if !c.Persistent {
			c.Expires = time.Time{}
		}
		if len(domains) > 0 && !cookies.InScope(c.HostKey, domains) {
			continue
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func tableColumns(ctx context.Context, db *sql.Conn) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM pragma_table_info('cookies')")
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	present := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		present[n] = true
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	if len(present) == 0 {
		return nil, fmt.Errorf("%w: no cookies table", ErrNotCookieStore)
	}
	return present, nil
}

// classify turns "file is not a database" into ErrNotCookieStore; other
// errors (corrupt, truncated) are left for a retry.
func classify(err error) error {
	// Matched by text: the driver's typed errors exist only in cgo builds.
	if strings.Contains(err.Error(), "file is not a database") {
		return fmt.Errorf("%w: %w", ErrNotCookieStore, err)
	}
	return err
}

// domainFilter is the WHERE clause selecting host keys in the domains'
// scopes: the domain itself, its dotted form, and any subdomain. The LIKE
// pattern escapes % and _ (and the escape character) so that a domain is
// matched literally; the result is filtered again with cookies.InScope,
// which also refuses public suffixes.
func domainFilter(domains []string) (string, []any) {
	if len(domains) == 0 {
		return "", nil
	}
	var terms []string
	var args []any
	for _, d := range domains {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "."))
		if d == "" {
			continue
		}
		terms = append(terms, `host_key = ? OR host_key = ? OR host_key LIKE ? ESCAPE '\'`)
		args = append(args, d, "."+d, "%."+likeEscape(d))
	}
	if len(terms) == 0 {
		return " WHERE 0", nil
	}
	return " WHERE " + strings.Join(terms, " OR "), args
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func sameSiteName(v int64) string {
	switch v {
	case 0:
		return "no_restriction"
	case 1:
		return "lax"
	case 2:
		return "strict"
	default: // -1, and 3 (the deprecated "extended")
		return "unspecified"
	}
}

func sourceSchemeName(v int64) string {
	switch v {
	case 1:
		return "non_secure"
	case 2:
		return "secure"
	default:
		return "unset"
	}
}

// expirySecond is an expiry in whole seconds since the Unix epoch, the
// precision at which a live cookie and a stored one are compared.
func expirySecond(unixSeconds float64) int64 {
	return int64(math.Floor(unixSeconds))
}
