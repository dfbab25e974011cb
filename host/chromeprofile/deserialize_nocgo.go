//go:build !cgo

package chromeprofile

import (
	"database/sql"
	"errors"
)

var errNoDeserialize = errors.New("sqlite3_deserialize not available")

// deserialize is unavailable without cgo; the reader then reads a
// temporary copy of the store instead.
func deserialize(*sql.Conn, []byte) error { return errNoDeserialize }
