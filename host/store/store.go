// Package store is the agent's SQLite state: bridges, connector health and an
// audit row for every cookie release. Cookie values are never stored here.
//
// The database runs in WAL mode with a busy timeout; its schema is created by
// numbered migrations, each applied once in its own transaction.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/authbridge/authbridge/host/internal/sqlitedb"
)

// Store is the state database.
type Store struct {
	DB *sql.DB
	// rel writes the audit rows of cookie releases (releases.go).
	rel releaseWriter
}

// Migration is one schema step. Versions are never renumbered or reused.
type Migration struct {
	Version int
	SQL     string
}

// migrations is the schema history; append only.
var migrations = []Migration{
	{1, `
CREATE TABLE bridges (
	id TEXT PRIMARY KEY,
	origin TEXT NOT NULL,
	extension_version TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT '',
	relay_pid INTEGER NOT NULL DEFAULT 0,
	profile_dir TEXT NOT NULL DEFAULT '',
	binding_method TEXT NOT NULL DEFAULT '',
	connected_at TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	disconnected_at TEXT
);
CREATE TABLE connector_health (
	connector_id TEXT PRIMARY KEY,
	health TEXT NOT NULL DEFAULT 'unknown',
	reason TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT '',
	last_verified_at TEXT,
	last_headless_success_at TEXT,
	last_interactive_login_at TEXT,
	last_failure_at TEXT,
	last_failure_reason TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL
);
CREATE TABLE cookie_releases (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	at TEXT NOT NULL,
	connector_id TEXT NOT NULL,
	caller_pid INTEGER NOT NULL,
	caller_uid INTEGER NOT NULL,
	cookie_count INTEGER NOT NULL,
	format TEXT NOT NULL,
	via TEXT NOT NULL
);
CREATE INDEX cookie_releases_connector ON cookie_releases(connector_id, at);
`},
	// 2: the origin a release's request went to (refresh), and an index
	// by time for pruning old rows.
	{2, `
ALTER TABLE cookie_releases ADD COLUMN url TEXT NOT NULL DEFAULT '';
CREATE INDEX cookie_releases_at ON cookie_releases(at);
`},
	// 3: who took the cookies, as the OS names the caller.
	{3, `
ALTER TABLE cookie_releases ADD COLUMN caller_exe TEXT NOT NULL DEFAULT '';
ALTER TABLE cookie_releases ADD COLUMN caller_cmdline TEXT NOT NULL DEFAULT '';
`},
}

// Open opens (creating if needed) the state database at path with mode
// 0600 and applies pending migrations. A file that is not a usable SQLite
// database (empty, corrupt, unreadable) is never replaced: Open returns an
// *UnusableError naming it and saying what to do.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenSchema(ctx, path, migrations, "state database")
}

// OpenSchema opens (creating if needed) the SQLite database at path with
// its own migration history ms; what names the file in messages ("state
// database"). A new file is created whole under a temporary name and moved
// into place once migrated, so a file at path that is empty was not left
// by authbridge: it is refused like a corrupt one.
func OpenSchema(ctx context.Context, path string, ms []Migration, what string) (*Store, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := create(ctx, path, ms, what); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, &UnusableError{Path: path, What: what, Problem: "cannot be read", Err: err}
	case !fi.Mode().IsRegular():
		return nil, &UnusableError{Path: path, What: what, Problem: "is not a regular file"}
	case fi.Size() == 0:
		return nil, &UnusableError{Path: path, What: what, Problem: "is empty (0 bytes): it was truncated"}
	}
	return open(ctx, path, ms, what)
}

func open(ctx context.Context, path string, ms []Migration, what string) (*Store, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &UnusableError{Path: path, What: what, Problem: "cannot be read", Err: err}
	}
	f.Close()
	dsn := sqlitedb.DSN(path, sqlitedb.Options{JournalMode: "WAL", BusyTimeout: 5 * time.Second, ForeignKeys: true, Synchronous: "NORMAL", TxLock: "immediate"})
	db, err := sql.Open(sqlitedb.Driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s %s: %w", what, path, err)
	}
	s := &Store{DB: db}
	if err := s.check(ctx); err != nil {
		db.Close()
		return nil, unusable(path, what, err)
	}
	if err := s.migrate(ctx, ms); err != nil {
		db.Close()
		if u := unusable(path, what, err); u != err {
			return nil, u
		}
		return nil, fmt.Errorf("migrate %s %s: %w", what, path, err)
	}
	return s, nil
}

// create makes a new database at path: migrated under a temporary name,
// closed (which folds the WAL back in) and linked into place.
func create(ctx context.Context, path string, ms []Migration, what string) error {
	tmp := fmt.Sprintf("%s.new-%d", path, os.Getpid())
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(tmp + suffix)
	}
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s %s: %w", what, path, err)
	}
	f.Close()
	defer os.Remove(tmp)
	s, err := open(ctx, tmp, ms, what)
	if err != nil {
		return err
	}
	if err := s.Close(); err != nil {
		return fmt.Errorf("create %s %s: %w", what, path, err)
	}
	// Link, not rename: a file someone else created meanwhile is kept.
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create %s %s: %w", what, path, err)
	}
	return nil
}

// check reads the schema and, for a small file, runs SQLite's quick check,
// so a damaged file is named at start rather than at its first write.
func (s *Store) check(ctx context.Context) error {
	var n int
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master`).Scan(&n); err != nil {
		return err
	}
	var pages int64
	if err := s.DB.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return err
	}
	if pages > quickCheckPages {
		return nil
	}
	var res string
	if err := s.DB.QueryRowContext(ctx, `PRAGMA quick_check(1)`).Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("%w: %s", errMalformed, res)
	}
	return nil
}

// quickCheckPages bounds the files check verifies page by page (16 MiB of
// 4 KiB pages): the state database stays far below it.
const quickCheckPages = 4096

var errMalformed = errors.New("database disk image is malformed")

// UnusableError is a database file authbridge will not use or replace:
// empty, corrupt, not a database, or unreadable.
type UnusableError struct {
	Path    string
	What    string // "state database"
	Problem string // "is empty (0 bytes): it was truncated"
	Err     error
}

func (e *UnusableError) Error() string {
	msg := fmt.Sprintf("the %s %s %s", e.What, e.Path, e.Problem)
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	return msg + ": " + e.Fix()
}

// Fix says what to do, in one sentence.
func (e *UnusableError) Fix() string {
	return fmt.Sprintf("move it aside (mv %s %s.broken) and start authbridge again, which creates a new one; the old file is kept for inspection", e.Path, e.Path)
}

func (e *UnusableError) Unwrap() error { return e.Err }

// unusable turns SQLite's "not a database", "corrupt" and "cannot open"
// errors into an *UnusableError; other errors are returned as they are.
// It reads SQLite's own messages (sqlite3_errstr), which are stable and
// also what a build without cgo sees.
func unusable(path, what string, err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, errMalformed), strings.Contains(msg, "database disk image is malformed"):
		return &UnusableError{Path: path, What: what, Problem: "is corrupt", Err: err}
	case strings.Contains(msg, "file is not a database"):
		return &UnusableError{Path: path, What: what, Problem: "is not a SQLite database", Err: err}
	case strings.Contains(msg, "unable to open database file"), strings.Contains(msg, "attempt to write a readonly database"),
		strings.Contains(msg, "access permission denied"), strings.Contains(msg, "authorization denied"):
		return &UnusableError{Path: path, What: what, Problem: "cannot be opened for writing", Err: err}
	}
	return err
}

// Close closes the database.
func (s *Store) Close() error {
	s.rel.close()
	return s.DB.Close()
}

func (s *Store) migrate(ctx context.Context, ms []Migration) error {
	if _, err := s.DB.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return err
	}
	sorted := append([]Migration(nil), ms...)
	for i := 1; i < len(sorted); i++ {
		for j := i; j > 0 && sorted[j].Version < sorted[j-1].Version; j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	for i, m := range sorted {
		if i > 0 && m.Version == sorted[i-1].Version {
			return fmt.Errorf("migration version %d defined twice", m.Version)
		}
		err := s.Tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %d: %w", m.Version, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)`, m.Version, now())
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Tx runs fn in a transaction, committing when it returns nil.
func (s *Store) Tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// TimeFormat is how times are stored: RFC 3339 with milliseconds, UTC.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

func now() string { return time.Now().UTC().Format(TimeFormat) }

// FormatTime renders t as stored.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ParseTime reads a stored time; a NULL or bad value gives the zero time.
func ParseTime(s sql.NullString) time.Time {
	if !s.Valid {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s.String)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Bridge is one relay connection as recorded.
type Bridge struct {
	ID               string
	Origin           string
	ExtensionVersion string
	UserAgent        string
	RelayPID         int
	ProfileDir       string
	BindingMethod    string
	ConnectedAt      time.Time
	LastSeenAt       time.Time
	DisconnectedAt   time.Time
}

// UpsertBridge records a bridge's connection or new details.
func (s *Store) UpsertBridge(ctx context.Context, b Bridge) error {
	_, err := s.DB.ExecContext(ctx, `
INSERT INTO bridges(id, origin, extension_version, user_agent, relay_pid, profile_dir, binding_method, connected_at, last_seen_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET origin=excluded.origin, extension_version=excluded.extension_version,
	user_agent=excluded.user_agent, relay_pid=excluded.relay_pid, profile_dir=excluded.profile_dir,
	binding_method=excluded.binding_method, last_seen_at=excluded.last_seen_at, disconnected_at=NULL`,
		b.ID, b.Origin, b.ExtensionVersion, b.UserAgent, b.RelayPID, b.ProfileDir, b.BindingMethod,
		FormatTime(b.ConnectedAt), FormatTime(b.LastSeenAt))
	return err
}

// BridgeDisconnected marks a bridge as gone.
func (s *Store) BridgeDisconnected(ctx context.Context, id string, at time.Time) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE bridges SET disconnected_at = ?, last_seen_at = ? WHERE id = ?`, FormatTime(at), FormatTime(at), id)
	return err
}

// LastBridgeSeen returns when any bridge was last seen (zero if never).
func (s *Store) LastBridgeSeen(ctx context.Context) (time.Time, error) {
	var v sql.NullString
	err := s.DB.QueryRowContext(ctx, `SELECT MAX(last_seen_at) FROM bridges`).Scan(&v)
	return ParseTime(v), err
}

// Health is one connector's recorded session health.
type Health struct {
	ConnectorID            string
	Health                 string // healthy, needs_attention, unknown (taxonomy.Health)
	Reason                 string // taxonomy code, empty when healthy or unknown
	Detail                 string
	LastVerifiedAt         time.Time
	LastHeadlessSuccessAt  time.Time
	LastInteractiveLoginAt time.Time
	LastFailureAt          time.Time
	LastFailureReason      string
	UpdatedAt              time.Time
}

// ErrNotFound is returned when a row does not exist.
var ErrNotFound = errors.New("not found")

// GetHealth returns a connector's health row, or ErrNotFound.
func (s *Store) GetHealth(ctx context.Context, id string) (Health, error) {
	row := s.DB.QueryRowContext(ctx, `SELECT connector_id, health, reason, detail, last_verified_at, last_headless_success_at,
	last_interactive_login_at, last_failure_at, last_failure_reason, updated_at FROM connector_health WHERE connector_id = ?`, id)
	h, err := scanHealth(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Health{ConnectorID: id, Health: "unknown"}, ErrNotFound
	}
	return h, err
}

// AllHealth returns every recorded health row keyed by connector id.
func (s *Store) AllHealth(ctx context.Context) (map[string]Health, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT connector_id, health, reason, detail, last_verified_at, last_headless_success_at,
	last_interactive_login_at, last_failure_at, last_failure_reason, updated_at FROM connector_health`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Health{}
	for rows.Next() {
		h, err := scanHealth(rows)
		if err != nil {
			return nil, err
		}
		out[h.ConnectorID] = h
	}
	return out, rows.Err()
}

type scanner interface{ Scan(...any) error }

func scanHealth(r scanner) (Health, error) {
	var h Health
	var lv, lh, li, lf, up sql.NullString
	if err := r.Scan(&h.ConnectorID, &h.Health, &h.Reason, &h.Detail, &lv, &lh, &li, &lf, &h.LastFailureReason, &up); err != nil {
		return h, err
	}
	h.LastVerifiedAt, h.LastHeadlessSuccessAt = ParseTime(lv), ParseTime(lh)
	h.LastInteractiveLoginAt, h.LastFailureAt, h.UpdatedAt = ParseTime(li), ParseTime(lf), ParseTime(up)
	return h, nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return FormatTime(t)
}

// PutHealth writes a connector's whole health row.
func (s *Store) PutHealth(ctx context.Context, h Health) error {
	h.UpdatedAt = time.Now()
	_, err := s.DB.ExecContext(ctx, `
INSERT INTO connector_health(connector_id, health, reason, detail, last_verified_at, last_headless_success_at,
	last_interactive_login_at, last_failure_at, last_failure_reason, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(connector_id) DO UPDATE SET health=excluded.health, reason=excluded.reason, detail=excluded.detail,
	last_verified_at=excluded.last_verified_at, last_headless_success_at=excluded.last_headless_success_at,
	last_interactive_login_at=excluded.last_interactive_login_at, last_failure_at=excluded.last_failure_at,
	last_failure_reason=excluded.last_failure_reason, updated_at=excluded.updated_at`,
		h.ConnectorID, h.Health, h.Reason, h.Detail, nullTime(h.LastVerifiedAt), nullTime(h.LastHeadlessSuccessAt),
		nullTime(h.LastInteractiveLoginAt), nullTime(h.LastFailureAt), h.LastFailureReason, FormatTime(h.UpdatedAt))
	return err
}

// PruneReleases deletes the audit rows of releases made before cutoff and
// answers how many went.
func (s *Store) PruneReleases(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM cookie_releases WHERE at < ?`, FormatTime(cutoff))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// BridgeProfiles lists the profile folders bridges have been bound to.
func (s *Store) BridgeProfiles(ctx context.Context) ([]string, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT DISTINCT profile_dir FROM bridges WHERE profile_dir != ''`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Release is the audit record of one cookie release: never the values.
type Release struct {
	At          time.Time
	ConnectorID string
	CallerPID   int
	CallerUID   int
	Count       int
	Format      string
	Via         string // "api" or "repair"
	// URL is the origin the user's browser was sent to for this release
	// (refresh), empty when none was.
	URL string
	// CallerExe and CallerCmdline name the caller's program, as the OS
	// told them when it asked (empty when it did not).
	CallerExe     string
	CallerCmdline string
}

// Releases returns the audit rows of a connector, newest first.
func (s *Store) Releases(ctx context.Context, connectorID string, limit int) ([]Release, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT at, connector_id, caller_pid, caller_uid, cookie_count, format, via, url, caller_exe, caller_cmdline FROM cookie_releases WHERE connector_id = ? ORDER BY id DESC LIMIT ?`, connectorID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Release
	for rows.Next() {
		var r Release
		var at sql.NullString
		if err := rows.Scan(&at, &r.ConnectorID, &r.CallerPID, &r.CallerUID, &r.Count, &r.Format, &r.Via, &r.URL, &r.CallerExe, &r.CallerCmdline); err != nil {
			return nil, err
		}
		r.At = ParseTime(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// CallerSummary is one caller's releases of a connector's cookies: by
// executable, command line and format.
type CallerSummary struct {
	Release     // the newest of them
	Times   int // how many
	FirstAt time.Time
}

// CallerSummaries returns who received a connector's cookies, most recent
// first, at most limit callers, and how many releases there were in all.
func (s *Store) CallerSummaries(ctx context.Context, connectorID string, limit int) ([]CallerSummary, int, error) {
	var total int
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM cookie_releases WHERE connector_id = ?`, connectorID).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.DB.QueryContext(ctx, `
SELECT r.at, r.connector_id, r.caller_pid, r.caller_uid, r.cookie_count, r.format, r.via, r.caller_exe, r.caller_cmdline, g.n, g.first
FROM (SELECT MAX(id) AS last, COUNT(*) AS n, MIN(at) AS first FROM cookie_releases WHERE connector_id = ?
      GROUP BY caller_exe, caller_cmdline, format) g
JOIN cookie_releases r ON r.id = g.last
ORDER BY r.id DESC LIMIT ?`, connectorID, limit)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []CallerSummary
	for rows.Next() {
		var c CallerSummary
		var at, first sql.NullString
		if err := rows.Scan(&at, &c.ConnectorID, &c.CallerPID, &c.CallerUID, &c.Count, &c.Format, &c.Via, &c.CallerExe, &c.CallerCmdline, &c.Times, &first); err != nil {
			return nil, 0, err
		}
		c.At, c.FirstAt = ParseTime(at), ParseTime(first)
		out = append(out, c)
	}
	return out, total, rows.Err()
}
