//go:build !cgo

package sqlitedb

import (
	"database/sql"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Driver is the database/sql driver name of this build: modernc.org/sqlite,
// SQLite translated to Go, for builds without cgo.
const Driver = "sqlite"

// deserializer is the method modernc.org/sqlite's connections have.
type deserializer interface {
	Deserialize(buf []byte) error
}

// Deserialize makes conn an in-memory database holding a copy of b, the
// bytes of a database file.
func Deserialize(conn *sql.Conn, b []byte) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(deserializer)
		if !ok {
			return ErrNoDeserialize
		}
		return c.Deserialize(b)
	})
}
