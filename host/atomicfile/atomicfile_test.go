package atomicfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/authbridge/authbridge/internal/testtmp"
)

func TestWriteFile(t *testing.T) {
	dir := testtmp.Dir(t)
	p := filepath.Join(dir, "state.json")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if string(b) != "new" {
		t.Errorf("after WriteFile: content %q, want \"new\"", b)
	}
	checkMode(t, fi, 0o600)
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory has %d entries, want only the target (no temporary left)", len(ents))
	}
	if err := WriteFile(filepath.Join(dir, "missing", "x"), nil, 0o600); err == nil {
		t.Errorf("WriteFile into a missing directory = nil error, want one")
	}
}
