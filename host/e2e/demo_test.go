//go:build !windows

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemo runs `authbridge demo` as `make demo` does and checks what it
// shows, then reads the throw-away home it kept: the app's and the host's
// events are in the report.
func TestDemo(t *testing.T) {
	needChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, "demo", "--keep")
	cmd.Dir = repoRoot
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("authbridge demo: %v\n%s", err, text)
	}
	for _, want := range []string{
		"Unknown", "signed in as", "Healthy", "(26 bytes)", "SESSION_EXPIRED", "Open interactive repair",
		"Healthy again", "Demo complete.", "granted through a development copy of the extension",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q:\n%s", want, text)
		}
	}
	i := strings.LastIndex(text, "kept: ")
	if i < 0 {
		t.Fatalf("demo --keep did not say where it kept its files:\n%s", text)
	}
	base := strings.TrimSpace(text[i+len("kept: "):])
	defer os.RemoveAll(base)
	w := &world{t: t, home: filepath.Join(base, "home"), userDir: t.TempDir()}
	defer w.stopAgent()
	sources := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(w.must("report", "--export", "ndjson")), "\n") {
		var e struct {
			Source string `json:"source"`
		}
		json.Unmarshal([]byte(line), &e)
		sources[e.Source]++
	}
	if sources["app"] < 5 || sources["host"] < 2 {
		t.Errorf("demo events by source = %v; want the app's runs and the host's actions", sources)
	}
	var rep struct {
		Connectors []struct {
			ConnectorID string `json:"connector_id"`
			Runs        int    `json:"runs"`
		} `json:"connectors"`
	}
	json.Unmarshal([]byte(w.must("report", "--json")), &rep)
	if len(rep.Connectors) != 1 || rep.Connectors[0].Runs != 3 {
		t.Errorf("report --json after the demo: %+v, want demo with 3 runs", rep.Connectors)
	}
}
