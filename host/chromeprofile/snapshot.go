package chromeprofile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/authbridge/authbridge/host/internal/sqlitedb"
)

// QuerySnapshot runs query on a consistent snapshot of the SQLite database
// at path, read the way ReadCookieMeta reads a Chrome store: the files are
// read byte for byte without a lock (the browser may hold the database
// exclusively, as Firefox does with cookies.sqlite), read again when one
// changed meanwhile, and opened in memory, or, when a journal or WAL must be
// replayed, as a private copy (0700 directory, 0600 files, removed before
// QuerySnapshot returns). The database is never opened in place. Other
// browsers' stores (Firefox's cookies.sqlite) use it with their own query.
func QuerySnapshot(path string, query func(ctx context.Context, conn *sql.Conn) error) error {
	var lastErr error
	for attempt := range copyAttempts {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 20 * time.Millisecond)
		}
		snap, err := readStoreFiles(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && !exists(path) {
				return fmt.Errorf("open %q: %w", path, err)
			}
			lastErr = err
			continue
		}
		if err := withSnapshot(snap, filepath.Base(path), query); err != nil {
			lastErr = err
			if errors.Is(err, ErrNotCookieStore) {
				return fmt.Errorf("read %q: %w", path, err)
			}
			continue
		}
		return nil
	}
	return fmt.Errorf("read %q: %w: %w", path, ErrStoreUnreadable, lastErr)
}

func withSnapshot(snap storeSnapshot, name string, query func(ctx context.Context, conn *sql.Conn) error) error {
	ctx := context.Background()
	if !snap.needsRecovery() && len(snap.files[0]) > 0 {
		db, err := sql.Open(sqlitedb.Driver, ":memory:")
		if err != nil {
			return err
		}
		defer db.Close()
		conn, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if err := sqlitedb.Deserialize(conn, snap.files[0]); err == nil {
			return query(ctx, conn)
		} else if !errors.Is(err, sqlitedb.ErrNoDeserialize) {
			return err
		}
	}
	if len(snap.files[0]) == 0 {
		return fmt.Errorf("%w: empty file", ErrNotCookieStore)
	}
	tmp, err := os.MkdirTemp("", "authbridge-store-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	copyPath := filepath.Join(tmp, name)
	for i, suf := range storeFiles {
		if snap.files[i] == nil {
			continue
		}
		if err := os.WriteFile(copyPath+suf, snap.files[i], 0o600); err != nil {
			return err
		}
	}
	db, err := sql.Open(sqlitedb.Driver, sqlitedb.DSN(copyPath, sqlitedb.Options{Mode: "rw", NoBusyWait: true}))
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return query(ctx, conn)
}
