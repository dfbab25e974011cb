package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// releaseWriter writes the audit rows of cookie releases with group
// commit: a caller's row goes into the batch being gathered, one goroutine
// writes batches one after another, each in one transaction, and every
// caller waits for its own batch. A lone caller's row is written at once;
// under many concurrent cookie requests one write serves them all, where
// one insert each made every request wait for the others' writes, and
// SQLite's busy handler (sleeps of 1, 2, 5, 10 … ms for a writer that finds
// the database locked) for their locks.
//
// The rows are written on one connection of their own that never
// checkpoints the WAL itself (a checkpoint syncs the database file, and the
// batch waiting behind it would wait for the disk): checkpointSoon does, on
// another connection, after every releasesPerCheckpoint rows.
type releaseWriter struct {
	mu      sync.Mutex
	next    *releaseBatch // gathering; nil when empty
	writing bool
	conn    *sql.Conn
	written int
	closed  bool
	// checkpointing is true while a background checkpoint runs.
	checkpointing bool
	// active counts the writer and checkpoint goroutines running.
	active sync.WaitGroup
}

type releaseBatch struct {
	rows []Release
	done chan struct{}
	err  error
}

// releasesPerCheckpoint is how many audit rows are written between two
// checkpoints of the WAL, about what SQLite's own 1,000-page threshold
// would give.
const releasesPerCheckpoint = 256

// RecordRelease appends an audit row. It returns once the row is committed
// (or failed to be); a caller whose ctx ends first gets ctx's error, and
// its row may still be written.
func (s *Store) RecordRelease(ctx context.Context, r Release) error {
	w := &s.rel
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return fmt.Errorf("record release: %w", sql.ErrConnDone)
	}
	if w.next == nil {
		w.next = &releaseBatch{done: make(chan struct{})}
	}
	b := w.next
	b.rows = append(b.rows, r)
	if !w.writing {
		w.writing = true
		w.active.Add(1)
		go s.writeReleases()
	}
	w.mu.Unlock()
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writeReleases writes the gathered batches until none is left.
func (s *Store) writeReleases() {
	w := &s.rel
	defer w.active.Done()
	for {
		w.mu.Lock()
		b := w.next
		w.next = nil
		if b == nil {
			w.writing = false
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		b.err = s.insertReleases(b.rows)
		close(b.done)
	}
}

func (s *Store) insertReleases(rows []Release) error {
	w := &s.rel
	ctx := context.Background()
	if w.conn == nil {
		c, err := s.DB.Conn(ctx)
		if err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
			c.Close()
			return err
		}
		w.mu.Lock()
		w.conn = c
		w.mu.Unlock()
	}
	err := func() error {
		tx, err := w.conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		st, err := tx.PrepareContext(ctx, `INSERT INTO cookie_releases(at, connector_id, caller_pid, caller_uid, cookie_count, format, via, url, caller_exe, caller_cmdline) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, r := range rows {
			if _, err := st.ExecContext(ctx, FormatTime(r.At), r.ConnectorID, r.CallerPID, r.CallerUID, r.Count, r.Format, r.Via, r.URL, r.CallerExe, r.CallerCmdline); err != nil {
				return err
			}
		}
		return tx.Commit()
	}()
	if err != nil {
		// Start over on a fresh connection next time.
		w.mu.Lock()
		w.conn.Close()
		w.conn = nil
		w.mu.Unlock()
		return err
	}
	if w.written/releasesPerCheckpoint != (w.written+len(rows))/releasesPerCheckpoint {
		s.checkpointSoon()
	}
	w.written += len(rows)
	return nil
}

// checkpointSoon checkpoints the WAL in the background, on another
// connection: a passive checkpoint copies what it can without blocking
// writers or readers. One runs at a time.
func (s *Store) checkpointSoon() {
	w := &s.rel
	w.mu.Lock()
	if w.checkpointing || w.closed {
		w.mu.Unlock()
		return
	}
	w.checkpointing = true
	w.active.Add(1)
	w.mu.Unlock()
	go func() {
		defer w.active.Done()
		s.DB.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
		w.mu.Lock()
		w.checkpointing = false
		w.mu.Unlock()
	}()
}

// close refuses new rows, waits for the batches gathered and the
// checkpoint running, and releases the connection.
func (w *releaseWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.active.Wait()
	if w.conn != nil {
		w.conn.Close()
		w.conn = nil
	}
}
