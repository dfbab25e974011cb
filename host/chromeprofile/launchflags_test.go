package chromeprofile

import (
	"slices"
	"strings"
	"testing"

	"github.com/authbridge/authbridge/host/chromium"
)

// TestLaunchFlagsTable checks the embedded table row by row, and what the
// profile writer's browser is started with from it.
func TestLaunchFlagsTable(t *testing.T) {
	tests := []struct {
		kind, goos, keyStore string
		args, drop           []string
		// mockKeychain and basicStore say whether the writer's browser gets
		// --use-mock-keychain and --password-store=basic.
		mockKeychain, basicStore bool
	}{
		{KindApp, "linux", "basic", []string{"--password-store=basic", "--use-mock-keychain"}, []string{}, true, true},
		{KindApp, "darwin", "keychain", []string{}, []string{"--use-mock-keychain", "--password-store=basic"}, false, false},
		{KindApp, "windows", "dpapi", []string{"--password-store=basic", "--use-mock-keychain"}, []string{}, true, true},
		{KindPlaywright, "darwin", "basic", []string{"--password-store=basic", "--use-mock-keychain"}, []string{}, true, true},
		{KindPlaywright, "freebsd", "basic", []string{"--password-store=basic", "--use-mock-keychain"}, []string{}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.goos, func(t *testing.T) {
			row, err := FlagsFor(tt.kind, tt.goos)
			if err != nil {
				t.Fatal(err)
			}
			if row.KeyStore != tt.keyStore || !slices.Equal(row.Args, tt.args) || !slices.Equal(row.Drop, tt.drop) || row.Why == "" {
				t.Errorf("FlagsFor = %+v, want key store %s, args %q, drop %q and a why", row, tt.keyStore, tt.args, tt.drop)
			}
			w := &ProfileWriter{ExecPath: "/bin/true", Kind: tt.kind, GOOS: tt.goos}
			o, err := w.browserOptions("/tmp/p")
			if err != nil {
				t.Fatal(err)
			}
			flags := chromium.FlagSet(o)
			_, mock := flags["use-mock-keychain"]
			store, basic := flags["password-store"]
			basic = basic && store == "basic"
			if mock != tt.mockKeychain || basic != tt.basicStore {
				t.Errorf("writer's browser: use-mock-keychain %v, password-store=basic %v; want %v, %v", mock, basic, tt.mockKeychain, tt.basicStore)
			}
		})
	}
	if _, err := FlagsFor("nosuch", "linux"); err == nil || !strings.Contains(err.Error(), "no row for kind nosuch on linux") {
		t.Errorf("FlagsFor(nosuch) = %v, want no row", err)
	}
}

func TestLaunchFlagsOverride(t *testing.T) {
	w := &ProfileWriter{ExecPath: "/bin/true", GOOS: "darwin", Flags: map[string]any{"use-mock-keychain": true}}
	o, err := w.browserOptions("/tmp/p")
	if err != nil {
		t.Fatal(err)
	}
	flags := chromium.FlagSet(o)
	if flags["use-mock-keychain"] != true {
		t.Errorf("an explicit flag was dropped: %v", flags)
	}
	if _, ok := flags["password-store"]; ok {
		t.Errorf("password-store kept on darwin: %v", flags)
	}
}

func TestParseLaunchTableRefuses(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"not json", `{`, "launch flags table"},
		{"version", `{"version": 2, "profiles": []}`, "want version 1"},
		{"no kind", `{"version": 1, "profiles": [{"os": "linux", "args": [], "drop": []}]}`, "profiles[0]: kind and os"},
		{"no args", `{"version": 1, "profiles": [{"kind": "app", "os": "linux", "drop": []}]}`, "profiles[0]: args and drop"},
		{"not a flag", `{"version": 1, "profiles": [{"kind": "app", "os": "linux", "args": ["x"], "drop": []}]}`, `"x" is not a --flag`},
		{"twice", `{"version": 1, "profiles": [{"kind": "app", "os": "linux", "args": [], "drop": []}, {"kind": "app", "os": "linux", "args": [], "drop": []}]}`, "a second row"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseLaunchTable([]byte(tt.data)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseLaunchTable = %v, want an error with %q", err, tt.want)
			}
		})
	}
}
