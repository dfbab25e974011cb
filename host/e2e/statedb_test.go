//go:build !windows

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUnusableStateDB: with state.db truncated to 0 bytes or overwritten,
// the CLI says which file is wrong and what to do (not "agent did not
// start ... EOF"), doctor says so too, and the file is left as it was.
func TestUnusableStateDB(t *testing.T) {
	for _, c := range []struct {
		name    string
		content string
		problem string
	}{
		{"truncated to 0 bytes", "", "is empty (0 bytes)"},
		{"not a database", strings.Repeat("this is not SQLite ", 300), "is not a SQLite database"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			db := filepath.Join(w.home, "state.db")
			if err := os.WriteFile(db, []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, errOut, code := w.run("", "status")
			if code == 0 || !strings.Contains(errOut, db) || !strings.Contains(errOut, c.problem) || !strings.Contains(errOut, "move it aside") || strings.Contains(errOut, "EOF") {
				t.Errorf("status = exit %d, stderr %q; want the file, %q and what to do", code, errOut, c.problem)
			}
			out, _, code := w.run("", "doctor", "--browser", "chromium")
			if code == 0 || !strings.Contains(out, db) || !strings.Contains(out, "move it aside") {
				t.Errorf("doctor = exit %d:\n%s\nwant the file and what to do", code, out)
			}
			after, err := os.ReadFile(db)
			if err != nil || string(after) != c.content {
				t.Errorf("state.db is now %d bytes (%v), was %d: it must not be replaced", len(after), err, len(c.content))
			}
			// Moved aside, the agent starts with a new database.
			if err := os.Rename(db, db+".broken"); err != nil {
				t.Fatal(err)
			}
			w.must("status")
		})
	}
}

// TestUnusableStateDBThroughTheRelay: the browser's requests are answered
// with agent_unavailable naming the file, and the relay starts the agent
// once, not again and again.
func TestUnusableStateDBThroughTheRelay(t *testing.T) {
	w := newWorldNoBrowser(t)
	db := filepath.Join(w.home, "state.db")
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f := w.startRelay(origin)
	for _, id := range []string{"e1", "e2", "e3"} {
		f.send(map[string]any{"id": id, "type": "hello", "version": "test"})
		res := f.recv(byID(id))
		e, _ := res["error"].(map[string]any)
		msg, _ := e["message"].(string)
		if res["type"] != "error" || e["code"] != "agent_unavailable" || !strings.Contains(msg, db) || !strings.Contains(msg, "move it aside") {
			t.Errorf("hello %s answered %v; want agent_unavailable naming %s and what to do", id, res, db)
		}
	}
	f.in.Close()
	f.exitWithin(20 * time.Second)
	logs, _ := os.ReadFile(filepath.Join(w.home, "logs", "agent.stderr"))
	if n := strings.Count(string(logs), "is empty (0 bytes)"); n != 1 {
		t.Errorf("the relay started %d agents, want 1:\n%s", n, logs)
	}
}
