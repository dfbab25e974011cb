package manifest

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateGeckoID(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"authbridge@authbridge.dev", true},
		{"my-build+dev@example.org", true},
		{"{2d4b5a7e-0f1c-4e7a-9b8d-0123456789ab}", true},
		{"", false},
		{"no-at-sign", false},
		{"@example.org", false},
		{"name@", false},
		{"a@b@c", false},
		{"spa ce@example.org", false},
		{"{2d4b5a7e-0f1c-4e7a-9b8d-0123456789a}", false},
		{"{2d4b5a7e_0f1c-4e7a-9b8d-0123456789ab}", false},
		{strings.Repeat("a", 70) + "@example.org", false},
		{"ldpickkggldlkffgckonbokbiinckjpp", false},
	}
	for _, tt := range tests {
		err := ValidateGeckoID(tt.id)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateGeckoID(%q) = %v, want ok %v", tt.id, err, tt.ok)
		}
		if err != nil && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "allowed_extensions")) {
			t.Errorf("ValidateGeckoID(%q) error %q does not name allowed_extensions", tt.id, err)
		}
	}
}

func TestIsGeckoID(t *testing.T) {
	for id, want := range map[string]bool{
		"authbridge@authbridge.dev":              true,
		"{2d4b5a7e-0f1c-4e7a-9b8d-0123456789ab}": true,
		"ldpickkggldlkffgckonbokbiinckjpp":       false,
		"":                                       false,
	} {
		if got := IsGeckoID(id); got != want {
			t.Errorf("IsGeckoID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestNewFirefox(t *testing.T) {
	m, err := NewFirefox("linux", "/usr/local/bin/authbridge", "dev@example.org", GeckoID)
	if err != nil {
		t.Fatal(err)
	}
	got := string(m.Marshal())
	want := `{
  "name": "com.authbridge.host",
  "description": "authbridge: live browser cookies for data-export connectors",
  "path": "/usr/local/bin/authbridge",
  "type": "stdio",
  "allowed_extensions": [
    "authbridge@authbridge.dev",
    "dev@example.org"
  ]
}
`
	if got != want {
		t.Errorf("NewFirefox manifest =\n%s\nwant\n%s", got, want)
	}
	if !m.AllowsGecko(GeckoID) || m.AllowsGecko("other@example.org") || m.Allows(ExtensionID) {
		t.Errorf("AllowsGecko/Allows wrong for %+v", m)
	}
	if err := m.Validate("linux"); err != nil {
		t.Errorf("Validate(firefox manifest) = %v", err)
	}
	if _, err := NewFirefox("linux", "/bin/authbridge", "not an id"); err == nil || !strings.Contains(err.Error(), `"not an id"`) {
		t.Errorf("NewFirefox with a bad id: error %v does not name it", err)
	}
	if _, err := NewFirefox("linux", "bin/authbridge"); err == nil {
		t.Error("NewFirefox with a relative path: no error")
	}
	parsed, err := Parse([]byte(got))
	if err != nil || parsed.Validate("linux") != nil || len(parsed.AllowedOrigins) != 0 {
		t.Errorf("Parse(firefox manifest) = %+v, %v", parsed, err)
	}
}

func TestForFamily(t *testing.T) {
	extra := []string{"dev@example.org", "abcdefghijklmnopabcdefghijklmnop"}
	c, err := ForFamily(Chromium, "linux", "/bin/authbridge", extra...)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.AllowedExtensions) != 0 || len(c.AllowedOrigins) != 2 || !c.Allows("abcdefghijklmnopabcdefghijklmnop") {
		t.Errorf("ForFamily(chromium) = %+v", c)
	}
	g, err := ForFamily(Gecko, "linux", "/bin/authbridge", extra...)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.AllowedOrigins) != 0 || strings.Join(g.AllowedExtensions, ",") != GeckoID+",dev@example.org" {
		t.Errorf("ForFamily(gecko) = %+v", g)
	}
}
