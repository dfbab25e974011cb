//go:build cgo

package sqlitedb

import (
	"database/sql"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Driver is the database/sql driver name of this build: mattn/go-sqlite3,
// SQLite compiled from C through cgo.
const Driver = "sqlite3"

// Deserialize makes conn an in-memory database holding a copy of b, the
// bytes of a database file.
func Deserialize(conn *sql.Conn, b []byte) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*sqlite3.SQLiteConn)
		if !ok {
			return ErrNoDeserialize
		}
		return c.Deserialize(b, "main")
	})
}
