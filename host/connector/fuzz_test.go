package connector

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary files to the parser: it must not panic, must
// answer a *FileError or a definition that validates, and the definition's
// patterns must be safe to match.
func FuzzParse(f *testing.F) {
	f.Add([]byte(goodNative))
	f.Add([]byte(`{"id": "x", "domains": ["co.uk"], "verify": {"login_patterns": ["re:("]}}`))
	f.Add([]byte(`{"connector_id": "x-playwright", "connect_url": "https://x.example/",
		"consumer_metadata": {"brand_domain": "youtube.com"},
		"auth": {"domains": ["127.0.0.1"], "verify": {"mfa_patterns": [], "browser": false}}}`))
	f.Add([]byte(`{"runtime": "playwright", "connectURL": "http://[::1]:80/", "auth": null}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"id":"a","domains":["a.com"],"verify":{"x":1}}`))
	if paths, err := filepath.Glob(filepath.Join("..", "..", "..", "shared", "fixtures", "data-connectors", "*.json")); err == nil {
		for _, p := range paths {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data, "fuzz.json")
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != "fuzz.json" {
				t.Fatalf("Parse error %v is not a *FileError for fuzz.json", err)
			}
			return
		}
		if err := Validate(d); err != nil {
			t.Fatalf("Parse returned a definition that does not validate: %v", err)
		}
		for _, u := range []string{d.LoginURL, d.Verify.URL, "https://" + d.Domains[0] + "/login"} {
			d.Verify.Match(u)
		}
	})
}
