//go:build !windows

package firefoxprofile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authbridge/authbridge/internal/testtmp"
	"github.com/authbridge/authbridge/manifest"
)

func TestRoots(t *testing.T) {
	home := testtmp.Dir(t)
	for _, d := range []string{".mozilla/firefox", ".config/mozilla/firefox", ".librewolf"} {
		os.MkdirAll(filepath.Join(home, d), 0o700)
		os.WriteFile(filepath.Join(home, d, "profiles.ini"), nil, 0o600)
	}
	os.MkdirAll(filepath.Join(home, ".config/chromium"), 0o700)
	got := Roots(manifest.Env{OS: "linux", Home: home})
	want := []string{filepath.Join(home, ".mozilla/firefox"), filepath.Join(home, ".config/mozilla/firefox"), filepath.Join(home, ".librewolf")}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Roots = %v, want %v", got, want)
	}
}
