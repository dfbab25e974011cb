package paths

import (
	"encoding/json"
	"os"
	"testing"
)

// pipeCase is one row of testdata/pipenames.json, the table the Node
// client's test reads too.
type pipeCase struct {
	Name   string            `json:"name"`
	Env    map[string]string `json:"env"`
	Home   string            `json:"home"`
	API    string            `json:"api"`
	Bridge string            `json:"bridge"`
}

func loadPipeCases(t *testing.T) []pipeCase {
	t.Helper()
	b, err := os.ReadFile("testdata/pipenames.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []pipeCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("testdata/pipenames.json: %v", err)
	}
	if len(doc.Cases) == 0 {
		t.Fatal("testdata/pipenames.json has no cases")
	}
	return doc.Cases
}

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
