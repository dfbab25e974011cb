package cookies

import (
	"bytes"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
)

func FuzzInScope(f *testing.F) {
	for _, s := range [][2]string{
		{"demo.test", "demo.test"}, {".demo.test", "demo.test"}, {"evildemo.test", "demo.test"},
		{"127.0.0.1", "127.0.0.1"}, {"[::1]", "::1"}, {"SUB.DEMO.TEST", ".demo.test"}, {"x.co.uk", "co.uk"},
		{"", ""}, {".", "."}, {"a..b", ".b"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, domain, scope string) {
		if got, want := InScope(domain, []string{scope, "other.test"}), inScopeOneByOne(domain, []string{scope, "other.test"}); got != want {
			t.Errorf("InScope(%q, [%q other.test]) = %v, the plain rule says %v", domain, scope, got, want)
		}
		if !InScope(domain, []string{scope}) {
			return
		}
		d, s := normalizeHost(domain), normalizeHost(scope)
		if d != s && !strings.HasSuffix(d, "."+s) {
			t.Errorf("InScope(%q, %q) = true, but the domain is neither the scope nor under it", domain, scope)
		}
	})
}

func FuzzHeaderFor(f *testing.F) {
	f.Add("https://sub.demo.test/app/x?q=1", "sid", "v=1", ".demo.test", "/app", false, true, "", 0.0)
	f.Add("http://localhost:8080/", "a", "b", "localhost", "/", true, true, "http://localhost", 1e9)
	f.Add("http://[::1]/", "", "bare", "[::1]", "", true, false, "https://x", -1.0)
	f.Add("http://%zz/", "a", "b", "%zz", "/", true, false, "::", 1.5)
	f.Fuzz(func(t *testing.T, rawURL, name, value, domain, path string, hostOnly, secure bool, top string, exp float64) {
		c := apitype.Cookie{Name: name, Value: value, Domain: domain, Path: path, HostOnly: hostOnly,
			Secure: secure, Session: exp == 0, ExpirationDate: exp}
		if top != "" {
			c.PartitionKey = &apitype.PartitionKey{TopLevelSite: top}
		}
		h, err := HeaderFor([]apitype.Cookie{c, c}, rawURL, time.Unix(1000, 0))
		if err != nil {
			return
		}
		if strings.ContainsAny(h, "\r\n") {
			t.Errorf("HeaderFor(%q) = %q holds a line break", rawURL, h)
		}
	})
}

// FuzzEncode runs every format over one fuzzed cookie: none may panic, and
// what succeeds must be well-formed.
func FuzzEncode(f *testing.F) {
	f.Add("sid", "v", ".demo.test", "/", true, false, true, "lax", 1.5e9, "", "https://demo.test/")
	f.Add("", "a\tb", "demo.test", "", false, true, false, "unspecified", 0.0, "https://demo.test", "http://demo.test")
	f.Add("n", "\xff", "", "/x", true, true, true, "bogus", -5.0, "x", "")
	f.Fuzz(func(t *testing.T, name, value, domain, path string, hostOnly, secure, httpOnly bool, sameSite string, exp float64, top, rawURL string) {
		c := apitype.Cookie{Name: name, Value: value, Domain: domain, Path: path, HostOnly: hostOnly,
			Secure: secure, HttpOnly: httpOnly, SameSite: sameSite, Session: exp == 0, ExpirationDate: exp}
		if top != "" {
			c.PartitionKey = &apitype.PartitionKey{TopLevelSite: top}
		}
		cs := []apitype.Cookie{c}
		opts := Options{URL: rawURL, Now: time.Unix(1000, 0)}
		for _, format := range []Format{FormatPlaywright, FormatCDP, FormatNetscape, FormatHeader} {
			var b bytes.Buffer
			err := Encode(&b, format, cs, opts)
			if err != nil {
				if b.Len() != 0 && format != FormatHeader {
					t.Errorf("Encode(%s) failed after writing %d bytes", format, b.Len())
				}
				continue
			}
			switch format {
			case FormatPlaywright:
				var st StorageState
				if err := json.Unmarshal(b.Bytes(), &st); err != nil {
					t.Errorf("Encode(playwright) wrote invalid JSON: %v", err)
				}
				for _, pc := range st.Cookies {
					if pc.Name != name || pc.Value != value {
						t.Errorf("Encode(playwright) changed the name or value of cookie %q", name)
					}
				}
			case FormatCDP:
				if !json.Valid(b.Bytes()) {
					t.Error("Encode(cdp) wrote invalid JSON")
				}
			case FormatNetscape:
				lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
				for _, l := range lines[1:] {
					if n := len(strings.Split(l, "\t")); n != 7 {
						t.Errorf("Encode(netscape) wrote a line with %d fields", n)
					}
				}
			}
		}
	})
}

// inScopeOneByOne is InScope's rule written out plainly, scope by scope,
// with net.ParseIP: the reference the precomputed scopeSet must agree with.
func inScopeOneByOne(cookieDomain string, scopes []string) bool {
	host := normalizeHost(cookieDomain)
	if host == "" {
		return false
	}
	hostIsIP := net.ParseIP(host) != nil
	for _, s := range scopes {
		scope := normalizeHost(s)
		if scope == "" {
			continue
		}
		if host == scope {
			if isPublicSuffix(scope) {
				continue
			}
			return true
		}
		if hostIsIP || net.ParseIP(scope) != nil {
			continue
		}
		if strings.HasSuffix(host, "."+scope) && !isPublicSuffix(scope) {
			return true
		}
	}
	return false
}
