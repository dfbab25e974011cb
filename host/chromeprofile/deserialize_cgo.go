//go:build cgo

package chromeprofile

import (
	"database/sql"
	"errors"

	sqlite3 "github.com/mattn/go-sqlite3"
)

var errNoDeserialize = errors.New("sqlite3_deserialize not available")

// deserialize makes conn an in-memory database holding a copy of b.
func deserialize(conn *sql.Conn, b []byte) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*sqlite3.SQLiteConn)
		if !ok {
			return errNoDeserialize
		}
		return c.Deserialize(b, "main")
	})
}
