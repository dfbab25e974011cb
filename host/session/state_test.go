package session

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestMergeStorageStateKeepsTheRest is issue 14 item 5: repair and clear
// used to rewrite a storage state from the fields the host knows, dropping
// unknown top-level keys, unknown origin fields and unknown fields of other
// domains' cookies. Only the connector's own cookies may change.
func TestMergeStorageStateKeepsTheRest(t *testing.T) {
	in, err := os.ReadFile("testdata/storage_state_in.json")
	if err != nil {
		t.Fatal(err)
	}
	fresh := []apitype.Cookie{{Name: "sid", Value: "fresh", Domain: "demo.test", Path: "/", HostOnly: true, HttpOnly: true, SameSite: "lax", Session: true}}
	tests := []struct {
		name    string
		cookies []apitype.Cookie
		golden  string
	}{
		{"repair", fresh, "testdata/storage_state_repaired.json"},
		{"clear", nil, "testdata/storage_state_cleared.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(path, in, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := mergeStorageState(path, []string{"demo.test"}, tt.cookies); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if *update {
				os.WriteFile(tt.golden, got, 0o644)
			}
			want, err := os.ReadFile(tt.golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s wrote:\n%s\nwant (%s):\n%s", tt.name, got, tt.golden, want)
			}
			// Independently of the golden file: the bytes outside the
			// cookies array, and the other domains' cookies, are unchanged.
			for _, kept := range []string{
				"{\n  \"x_app_version\": 3,\n  \"cookies\": ",
				`"x_cookie_field": {"kept": [1, 2,   3]}`,
				`{"name": "nodomain", "x": 1}`,
				"\"origins\": [\n    {\"origin\": \"https://other.test\", \"localStorage\": [{\"name\": \"k\", \"value\": \"v\"}], \"x_origin_field\": \"kept\",   \"indexedDB\": []}\n  ],\n  \"x_weird\":\t[1,2,   3] ,\n  \"x_unicode\": \"caf\\u00e9 é\"\n}\n",
			} {
				if !bytes.Contains(got, []byte(kept)) {
					t.Errorf("%s lost %q", tt.name, kept)
				}
			}
			for _, gone := range []string{"stale", "x_dropped"} {
				if bytes.Contains(got, []byte(gone)) {
					t.Errorf("%s kept the connector's old cookie (%s)", tt.name, gone)
				}
			}
			if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
				t.Errorf("state file mode %v, want 0600", info.Mode().Perm())
			}
		})
	}
}

func TestMergeStorageStateShapes(t *testing.T) {
	fresh := []apitype.Cookie{{Name: "sid", Value: "v", Domain: "demo.test", Path: "/", HostOnly: true, SameSite: "lax", Session: true}}
	tests := []struct {
		name, in string
		wantErr  bool
	}{
		{"no file", "", false},
		{"empty object", `{}`, false},
		{"no cookies key", `{"origins": [], "x": 1}`, false},
		{"not an object", `[1]`, true},
		{"cookies not an array", `{"cookies": {}}`, true},
		{"truncated", `{"cookies": [`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if tt.in != "" {
				os.WriteFile(path, []byte(tt.in), 0o600)
			}
			err := mergeStorageState(path, []string{"demo.test"}, fresh)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if err != nil {
				if b, _ := os.ReadFile(path); string(b) != tt.in {
					t.Errorf("a refused file was changed to %s", b)
				}
				return
			}
			got, err := readStorageState(connectorWithState(path))
			if err != nil || len(got) != 1 || got[0].Value != "v" {
				t.Errorf("read back %v, %v; want the one fresh cookie", got, err)
			}
		})
	}
}

func connectorWithState(path string) connector.Definition {
	return connector.Definition{ID: "demo", Domains: []string{"demo.test"}, Session: &connector.Session{StorageState: path}}
}
