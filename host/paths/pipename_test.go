package paths

import (
	"encoding/json"
	"os"
	"testing"
)

// socketCase is one row of testdata/sockets.json, the table the Node
// client's test reads too: where the agent's sockets (Windows: named pipes)
// are for an environment on an operating system.
type socketCase struct {
	Name   string            `json:"name"`
	OS     string            `json:"os"`
	UID    int               `json:"uid"`
	Env    map[string]string `json:"env"`
	Home   string            `json:"home"`
	API    string            `json:"api"`
	Bridge string            `json:"bridge"`
}

// loadSocketCases returns the table's cases for the operating systems in
// oses.
func loadSocketCases(t *testing.T, oses ...string) []socketCase {
	t.Helper()
	b, err := os.ReadFile("testdata/sockets.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []socketCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("testdata/sockets.json: %v", err)
	}
	var out []socketCase
	for _, c := range doc.Cases {
		for _, o := range oses {
			if c.OS == o {
				out = append(out, c)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("testdata/sockets.json has no cases for %q", oses)
	}
	return out
}

// loadPipeCases returns the table's Windows cases.
func loadPipeCases(t *testing.T) []socketCase { return loadSocketCases(t, "windows") }

func TestPipeName(t *testing.T) {
	for _, c := range loadPipeCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			if got := PipeName(c.Home, "api"); got != c.API {
				t.Errorf("PipeName(%q, api) = %q, want %q", c.Home, got, c.API)
			}
			if got := PipeName(c.Home, "bridge"); got != c.Bridge {
				t.Errorf("PipeName(%q, bridge) = %q, want %q", c.Home, got, c.Bridge)
			}
		})
	}
}
