package paths

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authbridge/authbridge/internal/testtmp"
)

func env(m map[string]string) Env { return func(k string) string { return m[k] } }

func TestResolveHome(t *testing.T) {
	dir := testtmp.Dir(t)
	p, err := Resolve(env(map[string]string{"AUTHBRIDGE_HOME": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if p.Home != dir || p.StateDB != filepath.Join(dir, "state.db") {
		t.Errorf("Resolve home = %q db %q", p.Home, p.StateDB)
	}
	if p.RuntimeDir != filepath.Join(dir, "run") {
		t.Errorf("RuntimeDir = %q, want under home", p.RuntimeDir)
	}
	if !p.HomeExplicit {
		t.Errorf("HomeExplicit = false with AUTHBRIDGE_HOME set")
	}
}

func TestDefaultHomeIsNotExplicit(t *testing.T) {
	dir := testtmp.Dir(t)
	p, err := Resolve(env(map[string]string{"HOME": dir, "XDG_RUNTIME_DIR": filepath.Join(dir, "xdg")}))
	if err != nil {
		t.Fatal(err)
	}
	if p.HomeExplicit {
		t.Errorf("HomeExplicit = true with no AUTHBRIDGE_HOME")
	}
}

func TestDeepHomeKeepsSocketsShort(t *testing.T) {
	deep := filepath.Join(testtmp.Dir(t), strings.Repeat("very-long-directory-name/", 8))
	p, err := Resolve(env(map[string]string{"AUTHBRIDGE_HOME": deep}))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{p.APISocket, p.BridgeSocket} {
		if len(s) > maxSocketPath {
			t.Errorf("socket path %q is %d bytes, over %d", s, len(s), maxSocketPath)
		}
	}
	p2, _ := Resolve(env(map[string]string{"AUTHBRIDGE_HOME": deep + "x"}))
	if p2.RuntimeDir == p.RuntimeDir {
		t.Errorf("two homes share runtime dir %q", p.RuntimeDir)
	}
}

func TestAppHomes(t *testing.T) {
	sep := string(os.PathListSeparator)
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"defaults", map[string]string{"HOME": "/h"}, []string{"/h/.vana/desktop", "/h/.pdp-connect/desktop", "/h/.pdp-connect", "/h/.dataconnect"}},
		{"list first", map[string]string{"HOME": "/h", "AUTHBRIDGE_APP_HOMES": "/a" + sep + "/b"}, []string{"/a", "/b", "/h/.vana/desktop", "/h/.pdp-connect/desktop", "/h/.pdp-connect", "/h/.dataconnect"}},
		{"no duplicates, empty entries skipped", map[string]string{"HOME": "/h", "AUTHBRIDGE_APP_HOMES": "/h/.dataconnect" + sep + sep + "/a"}, []string{"/h/.dataconnect", "/a", "/h/.vana/desktop", "/h/.pdp-connect/desktop", "/h/.pdp-connect"}},
		{"no home", map[string]string{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["AUTHBRIDGE_HOME"] = testtmp.Dir(t)
			p, err := Resolve(env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, w := range tt.want {
				abs, _ := filepath.Abs(w) // a drive letter on Windows
				want = append(want, abs)
			}
			if strings.Join(p.AppHomes, "|") != strings.Join(want, "|") {
				t.Errorf("AppHomes = %q, want %q", p.AppHomes, want)
			}
		})
	}
}

func TestWithHome(t *testing.T) {
	base := func(k string) string { return "from-env:" + k }
	env := WithHome("/h", base)
	if got := env("AUTHBRIDGE_HOME"); got != "/h" {
		t.Errorf(`WithHome("/h", base)("AUTHBRIDGE_HOME") = %q, want "/h"`, got)
	}
	if got := env("HOME"); got != "from-env:HOME" {
		t.Errorf(`WithHome("/h", base)("HOME") = %q, want the base's answer`, got)
	}
	if got := WithHome("/h", nil)("HOME"); got != "" {
		t.Errorf(`WithHome("/h", nil)("HOME") = %q, want ""`, got)
	}
}
