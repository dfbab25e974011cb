package manifest

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"com.authbridge.host", true},
		{"a", true},
		{"a_b.c9", true},
		{"", false},
		{".com.x", false},
		{"com.x.", false},
		{"com..x", false},
		{"Com.x", false},
		{"com-x", false},
		{"com x", false},
		{"com/x", false},
	}
	for _, tt := range tests {
		err := ValidateName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateName(%q) error %v does not match ErrInvalid", tt.name, err)
		}
	}
}

func TestValidateOrigin(t *testing.T) {
	tests := []struct {
		origin string
		ok     bool
	}{
		{"chrome-extension://ldpickkggldlkffgckonbokbiinckjpp/", true},
		{"chrome-extension://ldpickkggldlkffgckonbokbiinckjpp", false},  // no trailing slash
		{"chrome-extension://*/", false},                                // wildcard
		{"chrome-extension://ldpickkggldlkffgckonbokbiinckjp*/", false}, // wildcard in ID
		{"chrome-extension://ldpickkggldlkffgckonbokbiinckjpq/", false}, // q is not a-p
		{"chrome-extension://ldpickkggldlkffgckonbokbiinckj/", false},   // short
		{"chrome-extension://LDPICKKGGLDLKFFGCKONBOKBIINCKJPP/", false}, // uppercase
		{"https://ldpickkggldlkffgckonbokbiinckjpp/", false},
		{"", false},
	}
	for _, tt := range tests {
		if err := ValidateOrigin(tt.origin); (err == nil) != tt.ok {
			t.Errorf("ValidateOrigin(%q) = %v, want ok=%v", tt.origin, err, tt.ok)
		}
	}
}

func TestNew(t *testing.T) {
	m, err := New("linux", "/home/u/.local/bin/authbridge", "abcdefghijklmnopabcdefghijklmnop", ExtensionID)
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	want := []string{
		"chrome-extension://ldpickkggldlkffgckonbokbiinckjpp/",
		"chrome-extension://abcdefghijklmnopabcdefghijklmnop/",
	}
	if strings.Join(m.AllowedOrigins, ",") != strings.Join(want, ",") {
		t.Errorf("AllowedOrigins = %v, want %v", m.AllowedOrigins, want)
	}
	if m.Name != HostName || m.Type != "stdio" || m.Path != "/home/u/.local/bin/authbridge" {
		t.Errorf("New = %+v", m)
	}
	if !m.Allows(ExtensionID) || m.Allows("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb") {
		t.Errorf("Allows is wrong for %v", m.AllowedOrigins)
	}

	for _, tc := range []struct{ goos, bin, id string }{
		{"linux", "bin/authbridge", ""},
		{"darwin", "authbridge", ""},
		{"windows", `authbridge.exe`, ""},
		{"linux", "/bin/authbridge", "not-an-id"},
	} {
		var extra []string
		if tc.id != "" {
			extra = append(extra, tc.id)
		}
		if _, err := New(tc.goos, tc.bin, extra...); !errors.Is(err, ErrInvalid) {
			t.Errorf("New(%q, %q, %q) = %v, want ErrInvalid", tc.goos, tc.bin, tc.id, err)
		}
	}
	if _, err := New("windows", `C:\Program Files\authbridge\authbridge.exe`); err != nil {
		t.Errorf("New(windows, absolute) = %v", err)
	}
}

func TestMarshalParseRoundTrip(t *testing.T) {
	m, err := New("darwin", "/Applications/authbridge & co/authbridge")
	if err != nil {
		t.Fatal(err)
	}
	data := m.Marshal()
	if !strings.HasSuffix(string(data), "}\n") || !strings.Contains(string(data), "& co") {
		t.Errorf("Marshal = %s", data)
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if string(back.Marshal()) != string(data) {
		t.Errorf("round trip changed the manifest:\n%s\n%s", data, back.Marshal())
	}
	if _, err := Parse([]byte("{")); err == nil {
		t.Error("Parse({) = nil error")
	}
}

func TestValidate(t *testing.T) {
	good, _ := New("linux", "/usr/bin/authbridge")
	tests := []struct {
		field  string
		mutate func(*Manifest)
		goos   string
	}{
		{"name", func(m *Manifest) { m.Name = "Bad" }, "linux"},
		{"description", func(m *Manifest) { m.Description = " " }, "linux"},
		{"path", func(m *Manifest) { m.Path = "" }, "linux"},
		{"path", func(m *Manifest) { m.Path = "relative/authbridge" }, "linux"},
		{"path", func(m *Manifest) { m.Path = "relative/authbridge" }, "darwin"},
		{"type", func(m *Manifest) { m.Type = "native" }, "linux"},
		{"allowed_origins", func(m *Manifest) { m.AllowedOrigins = nil }, "linux"},
		{"allowed_origins", func(m *Manifest) { m.AllowedOrigins = []string{"chrome-extension://*/"} }, "linux"},
	}
	for _, tt := range tests {
		m := good
		m.AllowedOrigins = append([]string(nil), good.AllowedOrigins...)
		tt.mutate(&m)
		err := m.Validate(tt.goos)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("Validate(%s) = %v, want a %s error", tt.goos, err, tt.field)
		}
	}
	rel := good
	rel.Path = `authbridge.exe`
	if err := rel.Validate("windows"); err != nil {
		t.Errorf("Validate(windows, relative path) = %v, want nil (Chrome allows it on Windows)", err)
	}
}

func TestIsAbs(t *testing.T) {
	tests := []struct {
		goos, p string
		want    bool
	}{
		{"linux", "/a", true},
		{"linux", "a", false},
		{"darwin", "/Applications/x", true},
		{"windows", `C:\x`, true},
		{"windows", `c:/x`, true},
		{"windows", `\\server\share\x`, true},
		{"windows", `\x`, false},
		{"windows", `C:x`, false},
		{"windows", "/x", false},
	}
	for _, tt := range tests {
		if got := IsAbs(tt.goos, tt.p); got != tt.want {
			t.Errorf("IsAbs(%q, %q) = %v, want %v", tt.goos, tt.p, got, tt.want)
		}
	}
}

func TestDefaultExtensionIDsIncludeTheStoreID(t *testing.T) {
	old := StoreExtensionID
	defer func() { StoreExtensionID = old }()
	StoreExtensionID = ""
	if ids := DefaultExtensionIDs(); len(ids) != 1 || ids[0] != ExtensionID {
		t.Errorf("DefaultExtensionIDs() without a store ID = %v, want [%s]", ids, ExtensionID)
	}
	StoreExtensionID = "abcdefghijklmnopabcdefghijklmnop"
	m, err := New("linux", "/usr/bin/authbridge")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"chrome-extension://" + ExtensionID + "/", "chrome-extension://abcdefghijklmnopabcdefghijklmnop/"}
	if len(m.AllowedOrigins) != 2 || m.AllowedOrigins[0] != want[0] || m.AllowedOrigins[1] != want[1] {
		t.Errorf("New().AllowedOrigins = %v, want %v", m.AllowedOrigins, want)
	}
}
