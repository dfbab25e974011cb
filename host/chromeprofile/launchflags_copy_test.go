package chromeprofile

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/authbridge/authbridge/host/chromium"
)

// TestRunnerCopyOfLaunchFlags fails when the runner's copy of the launch
// flags table and this package's differ (the runner checks the same pair in
// runner/test/launchflags-copy.test.cjs).
func TestRunnerCopyOfLaunchFlags(t *testing.T) {
	runnerCopy := filepath.Join("..", "..", "runner", "lib", "launchflags.json")
	b, err := os.ReadFile(runnerCopy)
	if err != nil {
		t.Fatalf("the runner's copy of the launch flags table: %v", err)
	}
	if !bytes.Equal(b, launchFlagsJSON) {
		t.Errorf("runner/lib/launchflags.json differs from host/chromeprofile/launchflags.json: change the host's table, then copy it: cp host/chromeprofile/launchflags.json runner/lib/launchflags.json")
	}
}

// TestQuietHostsCopy fails when host/chromium's QuietHosts and the table's
// quiet_hosts differ.
func TestQuietHostsCopy(t *testing.T) {
	table, err := QuietHosts()
	if err != nil {
		t.Fatal(err)
	}
	if len(table) == 0 {
		t.Fatal("the launch flags table has no quiet_hosts")
	}
	if !slices.Equal(table, chromium.QuietHosts) {
		t.Errorf("host/chromium QuietHosts = %q,\nthe launch flags table's quiet_hosts = %q:\nchange the table (host/chromeprofile/launchflags.json, copied to runner/lib/launchflags.json), then copy its list into host/chromium QuietHosts", chromium.QuietHosts, table)
	}
}

func TestParseLaunchTableRefusesQuietHosts(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"empty host", `{"version": 1, "quiet_hosts": [""], "profiles": []}`, `quiet_hosts[0]: "" is not a host name`},
		{"two hosts in one", `{"version": 1, "quiet_hosts": ["a.test", "b.test, c.test"], "profiles": []}`, `quiet_hosts[1]`},
		{"not a list", `{"version": 1, "quiet_hosts": "a.test", "profiles": []}`, "launch flags table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseLaunchTable([]byte(tt.data)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseLaunchTable = %v, want an error with %q", err, tt.want)
			}
		})
	}
}
