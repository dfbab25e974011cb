package chromium

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestLaunchFailureReturns: a browser that cannot start is an error, and
// Launch returns it (it used to wait forever in Close).
func TestLaunchFailureReturns(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"no user data dir", Options{ExecPath: "/bin/true"}, "user data dir is required"},
		{"missing executable", Options{ExecPath: filepath.Join(t.TempDir(), "no-chromium"), UserDataDir: t.TempDir()}, "start chromium"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Launch(context.Background(), tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Launch = %v, %v; want an error with %q", b, err, tt.want)
			}
		})
	}
}
