package sqlitedb

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestDSN(t *testing.T) {
	tests := []struct {
		name string
		path string
		o    Options
		want string
	}{
		{"default", "/d/x.db", Options{}, "file:/d/x.db?_busy_timeout=5000"},
		{"read-only no wait", "/d/x.db", Options{Mode: "ro", NoBusyWait: true}, "file:/d/x.db?mode=ro&_busy_timeout=0"},
		{"store", "/d/s.db", Options{JournalMode: "WAL", BusyTimeout: 2 * time.Second, ForeignKeys: true, Synchronous: "NORMAL", TxLock: "immediate"},
			"file:/d/s.db?_busy_timeout=2000&_journal_mode=WAL&_foreign_keys=on&_synchronous=NORMAL&_txlock=immediate"},
		{"uri characters escaped", "/d/a?b#c%d.db", Options{}, "file:/d/a%3fb%23c%25d.db?_busy_timeout=5000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DSN(tt.path, tt.o); got != tt.want {
				t.Errorf("DSN = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestDriver runs the options and Deserialize through the build's driver:
// the same test passes with cgo (mattn/go-sqlite3) and without (modernc).
func TestDriver(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "odd ?#% name.db")
	db, err := Open(p, Options{JournalMode: "WAL", ForeignKeys: true, Synchronous: "NORMAL", TxLock: "immediate"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`CREATE TABLE t(v TEXT)`, `INSERT INTO t VALUES ('a'), ('b')`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "5000"} {
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
	if _, err := db.ExecContext(ctx, `PRAGMA journal_mode=DELETE`); err != nil { // a WAL image cannot be read from memory
		t.Fatal(err)
	}
	image, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}

	ro, err := Open(p, Options{Mode: "ro", NoBusyWait: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.ExecContext(ctx, `INSERT INTO t VALUES ('c')`); err == nil {
		t.Error("insert through a mode=ro connection succeeded")
	}

	mem, err := OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	conn, err := mem.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := Deserialize(conn, image); err != nil {
		t.Fatalf("Deserialize: %v", err)
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM t`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("deserialized copy has %d rows, want 2", n)
	}
}
