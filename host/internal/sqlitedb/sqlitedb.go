// Package sqlitedb is the one place the host chooses its SQLite driver and
// builds the data source names it opens databases with. Builds with cgo use
// github.com/mattn/go-sqlite3 (driver name "sqlite3"); builds without cgo
// (the macOS and Linux arm64 release binaries) use the pure-Go
// modernc.org/sqlite (driver name "sqlite"). Both sit behind the same
// database/sql code: callers open databases with Open or with
// sql.Open(Driver, DSN(...)) and never name a driver themselves.
package sqlitedb

import (
	"database/sql"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultBusyTimeout is how long a connection waits for a lock held by
// another connection when Options.BusyTimeout is zero.
const DefaultBusyTimeout = 5 * time.Second

// Options are the settings of a database connection that go into its DSN.
// The zero value opens the file read-write, creating it when missing, with
// DefaultBusyTimeout.
type Options struct {
	// Mode is SQLite's URI mode: "" (read-write, create), "ro", "rw"
	// (read-write, must exist) or "memory".
	Mode string
	// BusyTimeout is how long to wait for a lock; zero means
	// DefaultBusyTimeout, and NoBusyWait asks for no wait at all.
	BusyTimeout time.Duration
	// NoBusyWait makes a locked database fail at once (busy_timeout 0).
	NoBusyWait bool
	// JournalMode is the journal_mode to set ("WAL", "DELETE", ...), or "".
	JournalMode string
	// Synchronous is the synchronous setting ("NORMAL", "FULL", ...), or "".
	Synchronous string
	// ForeignKeys turns foreign key enforcement on.
	ForeignKeys bool
	// TxLock is the BEGIN mode of transactions ("immediate", ...), or "".
	TxLock string
}

// ErrNoDeserialize is returned by Deserialize when the connection's driver
// cannot load a database image into memory.
var ErrNoDeserialize = errors.New("sqlite3_deserialize not available")

// Memory is the DSN of a private in-memory database.
const Memory = ":memory:"

// DSN is the data source name that opens the database file at path with o,
// in the form the build's driver reads. Both drivers take SQLite's own URI
// parameters (mode) and the underscore keys _busy_timeout, _journal_mode,
// _synchronous, _foreign_keys and _txlock with the same meaning; the busy
// timeout is always spelled out because the drivers' defaults differ.
func DSN(path string, o Options) string {
	q := make([]string, 0, 6)
	if o.Mode != "" {
		q = append(q, "mode="+url.QueryEscape(o.Mode))
	}
	busy := o.BusyTimeout
	if busy == 0 {
		busy = DefaultBusyTimeout
	}
	if o.NoBusyWait {
		busy = 0
	}
	q = append(q, "_busy_timeout="+strconv.FormatInt(busy.Milliseconds(), 10))
	if o.JournalMode != "" {
		q = append(q, "_journal_mode="+url.QueryEscape(o.JournalMode))
	}
	if o.ForeignKeys {
		q = append(q, "_foreign_keys=on")
	}
	if o.Synchronous != "" {
		q = append(q, "_synchronous="+url.QueryEscape(o.Synchronous))
	}
	if o.TxLock != "" {
		q = append(q, "_txlock="+url.QueryEscape(o.TxLock))
	}
	return "file:" + escapePath(path) + "?" + strings.Join(q, "&")
}

// escapePath escapes the characters that would end the path part of a
// SQLite URI filename early.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// Open opens the database file at path with o through the build's driver.
func Open(path string, o Options) (*sql.DB, error) {
	return sql.Open(Driver, DSN(path, o))
}

// OpenMemory opens a private in-memory database. Give it one connection
// (SetMaxOpenConns(1) or sql.DB.Conn): each connection has its own.
func OpenMemory() (*sql.DB, error) {
	return sql.Open(Driver, Memory)
}
