package cookies

import (
	"encoding/json"
	"os"
	"testing"
)

// authCookieCase is one row of testdata/auth_cookies.json, the table the
// extension's node test reads too.
type authCookieCase struct {
	Case        string   `json:"case"`
	Domains     []string `json:"domains"`
	AuthCookies []string `json:"auth_cookies"`
	Name        string   `json:"name"`
	Domain      string   `json:"domain"`
	Want        bool     `json:"want"`
}

func TestIsAuthCookieSharedTable(t *testing.T) {
	b, err := os.ReadFile("testdata/auth_cookies.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		Cases []authCookieCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatalf("testdata/auth_cookies.json: %v", err)
	}
	if len(table.Cases) < 10 {
		t.Fatalf("testdata/auth_cookies.json has %d cases, want the whole table", len(table.Cases))
	}
	for _, c := range table.Cases {
		t.Run(c.Case, func(t *testing.T) {
			if got := IsAuthCookie(c.Domains, c.AuthCookies, c.Name, c.Domain); got != c.Want {
				t.Errorf("IsAuthCookie(%q, %q, %q, %q) = %v, want %v", c.Domains, c.AuthCookies, c.Name, c.Domain, got, c.Want)
			}
		})
	}
}
