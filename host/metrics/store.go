package metrics

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/authbridge/authbridge/host/store"
)

// The events live in a database of their own (events.db next to
// state.db), so that storing a large batch never holds the write lock the
// agent's cookie releases, health rows and bridges need.
//
// The table is keyed by (connector_id, at_us, event_id) and stored WITHOUT
// ROWID, so the table itself is the report's covering index: the report
// reads it in key order with no sort. The unique index on event_id is what
// stores a repeated event once. Enumerations are stored as small integer
// codes (see typeNames and the other tables in event.go); at is
// microseconds since the Unix epoch, UTC; event_id is the UUID's 16 bytes;
// run_id is the app's text, verbatim.
var eventMigrations = []store.Migration{{Version: 1, SQL: `
CREATE TABLE metric_events (
	connector_id TEXT NOT NULL,
	at_us INTEGER NOT NULL,
	event_id BLOB NOT NULL,
	run_id TEXT NOT NULL,
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
`}}

// Recorder stores events in the events database and builds reports from
// them. Host actions (OnOutcome) are queued and written by the recorder's
// own writer, so the action that caused one never waits on a batch.
type Recorder struct {
	st  *store.Store
	db  *sql.DB
	log *slog.Logger
	// now is the clock; time.Now unless a test sets it.
	now func() time.Time
	// inTx, when a test sets it, runs inside every batch's transaction
	// just before the commit (a batch holding its write lock).
	inTx func()

	// writeMu makes batches take turns in this process instead of failing
	// on SQLite's busy timeout behind a long one; it guards wconn, the one
	// connection that writes.
	writeMu sync.Mutex
	wconn   *sql.Conn

	qmu    sync.Mutex
	queue  chan hostItem // nil once closed
	wrote  chan struct{} // closed when the writer ends
	closed bool
}

// hostItem is a host event to write, or (done set) a flush marker.
type hostItem struct {
	ev   Event
	done chan struct{}
}

// hostQueue bounds the host events waiting for the writer.
const hostQueue = 4096

// OpenRecorder opens (creating it if needed) the events database at path
// and starts the writer of host events. log may be nil.
func OpenRecorder(ctx context.Context, path string, log *slog.Logger) (*Recorder, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := store.OpenSchema(ctx, path, eventMigrations, "events database")
	if err != nil {
		return nil, err
	}
	r := &Recorder{st: st, db: st.DB, log: log, now: time.Now,
		queue: make(chan hostItem, hostQueue), wrote: make(chan struct{})}
	go r.writeHostEvents()
	return r, nil
}

// Close writes the queued host events and closes the database.
func (r *Recorder) Close() error {
	r.qmu.Lock()
	if !r.closed {
		r.closed = true
		close(r.queue)
	}
	r.qmu.Unlock()
	<-r.wrote
	r.writeMu.Lock()
	r.dropWriter()
	r.writeMu.Unlock()
	return r.st.Close()
}

func (r *Recorder) writeHostEvents() {
	defer close(r.wrote)
	for it := range r.queue {
		var batch []Event
		var waiters []chan struct{}
		add := func(it hostItem) {
			if it.done != nil {
				waiters = append(waiters, it.done)
			} else {
				batch = append(batch, it.ev)
			}
		}
		add(it)
	more:
		for len(batch) < 1000 {
			select {
			case it, ok := <-r.queue:
				if !ok {
					break more
				}
				add(it)
			default:
				break more
			}
		}
		if len(batch) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if _, err := r.Record(ctx, batch); err != nil {
				r.log.Warn("metrics: host actions not recorded", "events", len(batch), "err", err)
			}
			cancel()
		}
		for _, w := range waiters {
			close(w)
		}
	}
}

// enqueue hands a host event to the writer; it never blocks.
func (r *Recorder) enqueue(ev Event) bool {
	r.qmu.Lock()
	defer r.qmu.Unlock()
	if r.closed {
		return false
	}
	select {
	case r.queue <- hostItem{ev: ev}:
		return true
	default:
		return false
	}
}

// Flush waits until the host events queued before it are written (or ctx
// ends). Reports and exports flush first, so they see every action that
// has answered.
func (r *Recorder) Flush(ctx context.Context) error {
	done := make(chan struct{})
	r.qmu.Lock()
	if r.closed {
		r.qmu.Unlock()
		return nil
	}
	select {
	case r.queue <- hostItem{done: done}:
	case <-ctx.Done():
		r.qmu.Unlock()
		return ctx.Err()
	}
	r.qmu.Unlock()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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

// writerPragmas are the settings of the one connection that writes
// events. Every commit is a batch the client waits for, so each is synced
// (synchronous=FULL); a large page cache keeps the event_id index (random
// UUIDs) in memory between batches, and fewer checkpoints write a page once
// however many batches dirtied it.
const writerPragmas = `PRAGMA synchronous = FULL; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 16384; PRAGMA mmap_size = 1073741824`

// readerPragmas let the report read the table through the memory map
// instead of copying every page.
const readerPragmas = `PRAGMA mmap_size = 1073741824`

// insertRows is how many events one INSERT statement stores, and
// insertColumns how many values each has.
const (
	insertRows    = 64
	insertColumns = 11
)

// insertSQL is the INSERT of n events. OR IGNORE only ever ignores a
// repeated event_id: every other constraint (NOT NULL) is guaranteed by
// validation.
func insertSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT OR IGNORE INTO metric_events(connector_id, at_us, event_id, run_id, type, auth_mode_used,
	auth_failure_reason, recovery_action, recovery_success, time_to_success_ms, source) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?,?,?,?,?,?,?,?,?,?,?)`)
	}
	return b.String()
}

// Record stores validated events in one transaction: when it returns nil
// every event is committed and synced to disk. Events must come from
// ParseEvents or be built like it (valid fields, canonical UUIDs).
func (r *Recorder) Record(ctx context.Context, events []Event) (Stored, error) {
	out := Stored{Accepted: len(events)}
	if len(events) == 0 {
		return out, nil
	}
	rows := make([]storedRow, len(events))
	for i := range events {
		if err := rows[i].set(&events[i]); err != nil {
			return out, fmt.Errorf("store event %d: %w", i+1, err)
		}
	}
	inserted, err := r.insert(ctx, rows)
	if err != nil {
		return out, err
	}
	out.Duplicates = len(events) - inserted
	return out, nil
}

func (r *Recorder) insert(ctx context.Context, rows []storedRow) (int, error) {
	// In key order, the table's pages fill one after the other (batches
	// mostly add later events), so the report reads it compact and in
	// order; the event_id index takes random UUIDs in any order anyway.
	slices.SortFunc(rows, func(a, b storedRow) int {
		if c := strings.Compare(a.connector, b.connector); c != 0 {
			return c
		}
		if a.at != b.at {
			return cmp.Compare(a.at, b.at)
		}
		return bytes.Compare(a.eventID[:], b.eventID[:])
	})
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	conn, err := r.writer(ctx)
	if err != nil {
		return 0, fmt.Errorf("store events: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		r.dropWriter()
		return 0, fmt.Errorf("store events: %w", err)
	}
	defer tx.Rollback()
	// Rows go in insertRows at a time: one statement, one step and one
	// round of argument conversion for many events.
	inserted := 0
	var many *sql.Stmt
	args := make([]any, 0, insertRows*insertColumns)
	for len(rows) > 0 {
		n := min(len(rows), insertRows)
		st := many
		if n < insertRows || many == nil {
			if st, err = tx.PrepareContext(ctx, insertSQL(n)); err != nil {
				return 0, fmt.Errorf("store events: %w", err)
			}
			if n == insertRows {
				many = st
				defer many.Close()
			} else {
				defer st.Close()
			}
		}
		args = args[:0]
		for i := range rows[:n] {
			w := &rows[i]
			args = append(args, w.connector, w.at, w.eventID[:], w.run, w.typ, w.mode, w.reason, w.action, w.success, w.tts, w.source)
		}
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return 0, fmt.Errorf("store events: %w", err)
		}
		k, _ := res.RowsAffected()
		inserted += int(k)
		rows = rows[n:]
	}
	if r.inTx != nil {
		r.inTx()
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store events: commit: %w", err)
	}
	return inserted, nil
}

// writer returns the connection that writes events (writeMu held).
func (r *Recorder) writer(ctx context.Context) (*sql.Conn, error) {
	if r.wconn != nil {
		return r.wconn, nil
	}
	conn, err := r.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, writerPragmas); err != nil {
		conn.Close()
		return nil, err
	}
	r.wconn = conn
	return conn, nil
}

// dropWriter closes the writing connection after a failure (writeMu held);
// the next batch opens a new one.
func (r *Recorder) dropWriter() {
	if r.wconn != nil {
		r.wconn.Close()
		r.wconn = nil
	}
}

// storedRow is an event as its columns.
type storedRow struct {
	connector, run, reason    string
	at                        int64
	eventID                   uuid.UUID
	typ, mode, action, source int
	success, tts              any
}

func (w *storedRow) set(ev *Event) error {
	eid, err := uuid.Parse(ev.EventID)
	if err != nil {
		return fmt.Errorf("event_id: %w", err)
	}
	if err := checkRunID(ev.RunID); err != nil {
		return fmt.Errorf("run_id: %w", err)
	}
	typ, mode, action, source := indexOf(typeNames, ev.Type), indexOf(modeNames, ev.AuthModeUsed), indexOf(actionNames, ev.RecoveryAction), indexOf(sourceNames, ev.Source)
	if typ <= 0 || mode < 0 || action < 0 || source <= 0 {
		return fmt.Errorf("event %s is not valid (type %q, auth_mode_used %q, recovery_action %q, source %q)", ev.EventID, ev.Type, ev.AuthModeUsed, ev.RecoveryAction, ev.Source)
	}
	*w = storedRow{connector: ev.ConnectorID, run: ev.RunID, reason: ev.AuthFailureReason, at: ev.At.UnixMicro(),
		eventID: eid, typ: typ, mode: mode, action: action, source: source}
	if ev.RecoverySuccess != nil {
		w.success = *ev.RecoverySuccess
	}
	if ev.TimeToSuccessMS != nil {
		w.tts = *ev.TimeToSuccessMS
	}
	return nil
}

// Count returns how many events are stored.
func (r *Recorder) Count(ctx context.Context) (int, error) {
	var n int
	err := r.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM metric_events`).Scan(&n)
	return n, err
}
