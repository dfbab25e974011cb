package metrics

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/authbridge/authbridge/host/store"
)

// The events table. It is keyed by (connector_id, at_us, event_id) and
// stored WITHOUT ROWID, so the table itself is the report's covering index:
// the report reads it in key order with no sort. The unique index on
// event_id is what stores a repeated event once.
//
// Enumerations are stored as small integer codes (see typeNames and the
// other tables in event.go); at is microseconds since the Unix epoch, UTC.
func init() {
	store.Register(store.Migration{Version: 100, SQL: `
CREATE TABLE metric_events (
	connector_id TEXT NOT NULL,
	at_us INTEGER NOT NULL,
	event_id BLOB NOT NULL,
	run_id BLOB NOT NULL,
	type INTEGER NOT NULL,
	auth_mode_used INTEGER NOT NULL,
	auth_failure_reason TEXT NOT NULL,
	recovery_action INTEGER NOT NULL,
	recovery_success INTEGER,
	time_to_success_ms INTEGER,
	source INTEGER NOT NULL,
	PRIMARY KEY (connector_id, at_us, event_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX metric_events_event_id ON metric_events(event_id);
`})
}

// Recorder stores events in the agent's state database and builds reports
// from them. A Recorder made before the database is open (the agent opens
// it) refuses requests until Attach.
type Recorder struct {
	db  atomic.Pointer[sql.DB]
	log *slog.Logger
	// now is the clock; time.Now unless a test sets it.
	now func() time.Time
}

// NewRecorder returns a recorder writing to db (a database opened by
// store.Open, which created the events table). db may be nil and given
// later with Attach; log may be nil.
func NewRecorder(db *sql.DB, log *slog.Logger) *Recorder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{log: log, now: time.Now}
	if db != nil {
		r.db.Store(db)
	}
	return r
}

// Attach sets the database once the agent has opened it.
func (r *Recorder) Attach(db *sql.DB) { r.db.Store(db) }

// ErrNoDatabase is returned by a recorder used before Attach.
var ErrNoDatabase = errors.New("metrics: the state database is not open yet")

func (r *Recorder) database() (*sql.DB, error) {
	if db := r.db.Load(); db != nil {
		return db, nil
	}
	return nil, ErrNoDatabase
}

func (r *Recorder) clock() time.Time {
	if r.now == nil {
		return time.Now()
	}
	return r.now()
}

// Stored is the outcome of a committed batch.
type Stored struct {
	// Accepted is how many events the batch held; all of them are now in the
	// database.
	Accepted int `json:"accepted"`
	// Duplicates is how many of them were there already (same event_id) and
	// were not stored a second time.
	Duplicates int `json:"duplicates"`
}

const (
	batchPragmas = `PRAGMA synchronous = FULL; PRAGMA cache_size = -131072; PRAGMA wal_autocheckpoint = 16384`
	poolPragmas  = `PRAGMA synchronous = NORMAL; PRAGMA cache_size = -2000; PRAGMA wal_autocheckpoint = 1000`
)

const insertSQL = `INSERT OR IGNORE INTO metric_events(connector_id, at_us, event_id, run_id, type, auth_mode_used,
	auth_failure_reason, recovery_action, recovery_success, time_to_success_ms, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// Record stores validated events in one transaction: when it returns nil
// every event is committed and synced to disk. Events must come from
// ParseEvents or be built like it (valid fields, canonical UUIDs).
//
// INSERT OR IGNORE only ever ignores a repeated event_id here: every other
// constraint (NOT NULL) is guaranteed by validation.
func (r *Recorder) Record(ctx context.Context, events []Event) (Stored, error) {
	db, err := r.database()
	if err != nil {
		return Stored{}, err
	}
	out := Stored{Accepted: len(events)}
	if len(events) == 0 {
		return out, nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return out, fmt.Errorf("store events: %w", err)
	}
	defer conn.Close()
	// A 2xx promises a durable event: sync the WAL at this commit even
	// though the database runs with synchronous=NORMAL otherwise. A large
	// batch dirties many pages of the event_id index: a bigger page cache
	// and fewer checkpoints (each writes a page once however many commits
	// dirtied it) keep ingestion fast. The connection gets its usual
	// settings back before it returns to the pool.
	if _, err := conn.ExecContext(ctx, batchPragmas); err != nil {
		return out, fmt.Errorf("store events: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), poolPragmas)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return out, fmt.Errorf("store events: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, insertSQL)
	if err != nil {
		return out, fmt.Errorf("store events: %w", err)
	}
	defer st.Close()
	rows := make([][]any, len(events))
	for i := range events {
		if rows[i], err = storedRow(&events[i]); err != nil {
			return out, fmt.Errorf("store event %d: %w", i+1, err)
		}
	}
	// In event_id order, consecutive inserts into the event_id index touch
	// neighbouring pages instead of random ones.
	slices.SortFunc(rows, func(a, b []any) int { return bytes.Compare(a[2].([]byte), b[2].([]byte)) })
	inserted := 0
	for i, row := range rows {
		res, err := st.ExecContext(ctx, row...)
		if err != nil {
			return out, fmt.Errorf("store event %d: %w", i+1, err)
		}
		n, _ := res.RowsAffected()
		inserted += int(n)
	}
	if err := tx.Commit(); err != nil {
		return out, fmt.Errorf("store events: commit: %w", err)
	}
	out.Duplicates = len(events) - inserted
	return out, nil
}

func storedRow(ev *Event) ([]any, error) {
	eid, err := uuid.Parse(ev.EventID)
	if err != nil {
		return nil, fmt.Errorf("event_id: %w", err)
	}
	rid, err := uuid.Parse(ev.RunID)
	if err != nil {
		return nil, fmt.Errorf("run_id: %w", err)
	}
	typ, mode, action, source := indexOf(typeNames, ev.Type), indexOf(modeNames, ev.AuthModeUsed), indexOf(actionNames, ev.RecoveryAction), indexOf(sourceNames, ev.Source)
	if typ <= 0 || mode < 0 || action < 0 || source <= 0 {
		return nil, fmt.Errorf("event %s is not valid (type %q, auth_mode_used %q, recovery_action %q, source %q)", ev.EventID, ev.Type, ev.AuthModeUsed, ev.RecoveryAction, ev.Source)
	}
	var success, tts any
	if ev.RecoverySuccess != nil {
		success = *ev.RecoverySuccess
	}
	if ev.TimeToSuccessMS != nil {
		tts = *ev.TimeToSuccessMS
	}
	return []any{ev.ConnectorID, ev.At.UnixMicro(), eid[:], rid[:], typ, mode,
		ev.AuthFailureReason, action, success, tts, source}, nil
}

// Count returns how many events are stored.
func (r *Recorder) Count(ctx context.Context) (int, error) {
	db, err := r.database()
	if err != nil {
		return 0, err
	}
	var n int
	err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM metric_events`).Scan(&n)
	return n, err
}
