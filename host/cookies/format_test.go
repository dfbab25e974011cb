package cookies

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"

	"github.com/authbridge/authbridge/host/apitype"
)

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in   string
		want Format
	}{
		{"playwright", FormatPlaywright},
		{"cdp", FormatCDP},
		{"netscape", FormatNetscape},
		{"netscape-compat", FormatNetscapeCompat},
		{"header", FormatHeader},
		{" CDP ", FormatCDP},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFormat(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("ParseFormat(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
			}
			if again, _ := ParseFormat(got.String()); again != got {
				t.Errorf("ParseFormat(%q.String()) = %v", got, again)
			}
		})
	}
	_, err := ParseFormat("json")
	if !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("ParseFormat(json) error = %v, want ErrUnknownFormat", err)
	}
	for _, name := range []string{"playwright", "cdp", "netscape", "header", `"json"`} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("ParseFormat(json) error %q does not name %s", err, name)
		}
	}
}

func TestSameSiteMappings(t *testing.T) {
	tests := []struct {
		in         string
		playwright string
		cdp        network.CookieSameSite
	}{
		{"no_restriction", "None", network.CookieSameSiteNone},
		{"lax", "Lax", network.CookieSameSiteLax},
		{"strict", "Strict", network.CookieSameSiteStrict},
		{"unspecified", "Lax", ""},
		{"", "Lax", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := PlaywrightSameSite(tt.in); got != tt.playwright {
				t.Errorf("PlaywrightSameSite(%q) = %q, want %q", tt.in, got, tt.playwright)
			}
			if got := CDPSameSite(tt.in); got != tt.cdp {
				t.Errorf("CDPSameSite(%q) = %q, want %q", tt.in, got, tt.cdp)
			}
		})
	}
}

func TestToCDP(t *testing.T) {
	cs := []apitype.Cookie{
		{Name: "ho", Domain: "demo.test", Path: "/a", HostOnly: true, SameSite: "unspecified", Session: true},
		{Name: "hos", Domain: "demo.test", Path: "/", HostOnly: true, Secure: true, SameSite: "lax", ExpirationDate: inAYear},
		{Name: "dc", Domain: ".demo.test", Path: "", SameSite: "no_restriction", Secure: true, Session: true},
		{Name: "dc-nodot", Domain: "demo.test", SameSite: "strict", Session: true},
		{Name: "v6", Domain: "::1", Path: "/", HostOnly: true, Session: true},
		{Name: "part", Domain: "demo.test", Path: "/", HostOnly: true, Secure: true, Session: true,
			PartitionKey: &apitype.PartitionKey{TopLevelSite: "https://top.example", HasCrossSiteAncestor: ptr(false)}},
	}
	got := ToCDP(cs)
	want := []network.CookieParam{
		{Name: "ho", URL: "http://demo.test/a", Path: "/a"},
		{Name: "hos", URL: "https://demo.test/", Path: "/", Secure: true, SameSite: "Lax", Expires: inAYear},
		{Name: "dc", Domain: ".demo.test", Path: "/", Secure: true, SameSite: "None"},
		{Name: "dc-nodot", Domain: ".demo.test", Path: "/", SameSite: "Strict"},
		{Name: "v6", URL: "http://[::1]/", Path: "/"},
		{Name: "part", URL: "https://demo.test/", Path: "/", Secure: true,
			PartitionKey: &network.CookiePartitionKey{TopLevelSite: "https://top.example", HasCrossSiteAncestor: false}},
	}
	if len(got) != len(want) {
		t.Fatalf("ToCDP gave %d params, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := *got[i], want[i]
		gk, wk := g.PartitionKey, w.PartitionKey
		g.PartitionKey, w.PartitionKey = nil, nil
		if g != w {
			t.Errorf("ToCDP(%q) = %+v, want %+v", cs[i].Name, g, w)
		}
		if (gk == nil) != (wk == nil) || (gk != nil && *gk != *wk) {
			t.Errorf("ToCDP(%q).PartitionKey = %+v, want %+v", cs[i].Name, gk, wk)
		}
	}
	// A session cookie must not carry "expires" at all: 0 would be 1970.
	raw, err := json.Marshal(got[0])
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(`"expires"`)) || bytes.Contains(raw, []byte(`"sameSite"`)) || bytes.Contains(raw, []byte(`"domain"`)) {
		t.Errorf("session host-only unspecified cookie encodes as %s; want no expires, sameSite or domain", raw)
	}
}

func TestExpiryUnits(t *testing.T) {
	c := apitype.Cookie{Name: "e", Domain: ".demo.test", Path: "/", SameSite: "lax", ExpirationDate: 1798761600.999}
	pw, err := ToPlaywright([]apitype.Cookie{c})
	if err != nil {
		t.Fatal(err)
	}
	if pw[0].Expires != 1798761600.999 {
		t.Errorf("playwright expires = %v, want 1798761600.999", pw[0].Expires)
	}
	if got := float64(ToCDP([]apitype.Cookie{c})[0].Expires); got != 1798761600.999 {
		t.Errorf("cdp expires = %v, want 1798761600.999", got)
	}
	var b bytes.Buffer
	if err := WriteNetscape(&b, []apitype.Cookie{c}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\t1798761600\te\t") {
		t.Errorf("netscape line %q does not hold the truncated expiry 1798761600", b.String())
	}

	// Edge cases: a persistent cookie dated at or before the epoch stays a
	// persistent (expired) cookie; a date past Playwright's limit is clamped.
	old := apitype.Cookie{Name: "old", Domain: ".demo.test", SameSite: "lax", ExpirationDate: 0}
	far := apitype.Cookie{Name: "far", Domain: ".demo.test", SameSite: "lax", ExpirationDate: 1e15}
	pw, err = ToPlaywright([]apitype.Cookie{old, far})
	if err != nil {
		t.Fatal(err)
	}
	if pw[0].Expires != 1 || pw[1].Expires != MaxPlaywrightExpires {
		t.Errorf("playwright expires = %v, %v, want 1, %v", pw[0].Expires, pw[1].Expires, float64(MaxPlaywrightExpires))
	}
	if got := ToCDP([]apitype.Cookie{old})[0].Expires; got != 1 {
		t.Errorf("cdp expires for epoch cookie = %v, want 1", got)
	}
	b.Reset()
	if err := WriteNetscape(&b, []apitype.Cookie{old, far}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\t1\told\t") || !strings.Contains(b.String(), "\t1000000000000000\tfar\t") {
		t.Errorf("netscape output %q: want expiry 1 for old and 1000000000000000 for far", b.String())
	}
}

// secretValue is what the refusal tests put in a value, to check that no
// error message ever repeats it.
const secretValue = "SECRET-do-not-print"

func TestRefusals(t *testing.T) {
	tests := []struct {
		name    string
		c       apitype.Cookie
		formats []Format
	}{
		{"tab in value", apitype.Cookie{Name: "t", Value: secretValue + "\tx", Domain: ".demo.test", Session: true},
			[]Format{FormatNetscape, FormatNetscapeCompat}},
		{"tab in path", apitype.Cookie{Name: "tp", Value: secretValue, Domain: ".demo.test", Path: "/a\tb", Session: true},
			[]Format{FormatNetscape}},
		{"newline in value", apitype.Cookie{Name: "n", Value: secretValue + "\nx", Domain: ".demo.test", Session: true},
			[]Format{FormatNetscape, FormatHeader}},
		{"semicolon in value", apitype.Cookie{Name: "s", Value: secretValue + ";x=1", Domain: ".demo.test", Session: true},
			[]Format{FormatHeader}},
		{"equals in name", apitype.Cookie{Name: "a=b", Value: secretValue, Domain: ".demo.test", Session: true},
			[]Format{FormatHeader}},
		{"invalid utf-8", apitype.Cookie{Name: "u", Value: secretValue + "\xff", Domain: ".demo.test", Session: true},
			[]Format{FormatPlaywright, FormatCDP}},
		{"no domain", apitype.Cookie{Name: "d", Value: secretValue, Session: true},
			[]Format{FormatPlaywright, FormatCDP, FormatNetscape}},
		{"unknown sameSite", apitype.Cookie{Name: "ss", Value: secretValue, Domain: ".demo.test", SameSite: "Lax", Session: true},
			[]Format{FormatPlaywright, FormatCDP, FormatNetscape}},
		{"empty partition key", apitype.Cookie{Name: "pk", Value: secretValue, Domain: ".demo.test", Session: true,
			PartitionKey: &apitype.PartitionKey{}}, []Format{FormatPlaywright, FormatCDP, FormatNetscape}},
	}
	for _, tt := range tests {
		for _, f := range tt.formats {
			t.Run(tt.name+"/"+f.String(), func(t *testing.T) {
				ok := apitype.Cookie{Name: "ok", Value: "fine", Domain: ".demo.test", Path: "/", Session: true}
				var b bytes.Buffer
				err := Encode(&b, f, []apitype.Cookie{ok, tt.c}, Options{URL: "https://demo.test/", Now: fixedNow})
				if !errors.Is(err, ErrUnrepresentable) {
					t.Fatalf("Encode(%s) error = %v, want ErrUnrepresentable", f, err)
				}
				var ce *CookieError
				if !errors.As(err, &ce) || ce.Name != tt.c.Name || ce.Format != f {
					t.Errorf("Encode(%s) error = %#v, want a *CookieError naming %q", f, err, tt.c.Name)
				}
				if strings.Contains(err.Error(), "SECRET") {
					t.Errorf("Encode(%s) error message repeats the cookie value", f)
				}
				if b.Len() != 0 {
					t.Errorf("Encode(%s) wrote %d bytes before failing, want none", f, b.Len())
				}
			})
		}
	}
}

func TestEncodeHeaderNeedsURL(t *testing.T) {
	err := Encode(&bytes.Buffer{}, FormatHeader, nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "URL") {
		t.Errorf("Encode(header) without URL = %v, want an error about the URL", err)
	}
	if err := Encode(&bytes.Buffer{}, Format(99), nil, Options{}); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("Encode(Format(99)) = %v, want ErrUnknownFormat", err)
	}
}

func TestPlaywrightEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := WritePlaywright(&b, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "{\n  \"cookies\": [],\n  \"origins\": []\n}\n"; got != want {
		t.Errorf("WritePlaywright(nil) = %q, want %q", got, want)
	}
}

func TestCrossSiteAncestorInference(t *testing.T) {
	tests := []struct {
		domain, top string
		want        bool
	}{
		{".demo.test", "https://demo.test", false},
		{"sub.demo.test", "https://demo.test", false},
		{"widgets.example", "https://demo.test", true},
		{"localhost", "http://localhost", false},
		{"demo.test", "not a url", true},
	}
	for _, tt := range tests {
		c := apitype.Cookie{Domain: tt.domain, PartitionKey: &apitype.PartitionKey{TopLevelSite: tt.top}}
		if got := crossSiteAncestor(c); got != tt.want {
			t.Errorf("crossSiteAncestor(domain %q, top %q) = %v, want %v", tt.domain, tt.top, got, tt.want)
		}
	}
}

// TestNetscapeCompat checks what netscape-compat changes from netscape: no
// #HttpOnly_ prefix, and session cookies dated a day after the write.
func TestNetscapeCompat(t *testing.T) {
	var plain, compat bytes.Buffer
	if err := Encode(&plain, FormatNetscape, fixtureCookies(), Options{Now: fixedNow}); err != nil {
		t.Fatal(err)
	}
	if err := Encode(&compat, FormatNetscapeCompat, fixtureCookies(), Options{Now: fixedNow}); err != nil {
		t.Fatal(err)
	}
	pl := strings.Split(strings.TrimSuffix(plain.String(), "\n"), "\n")
	cl := strings.Split(strings.TrimSuffix(compat.String(), "\n"), "\n")
	if len(pl) != len(cl) || cl[0] != NetscapeHeader {
		t.Fatalf("netscape-compat has %d lines starting %q; netscape has %d", len(cl), cl[0], len(pl))
	}
	sessionExpiry := strconv.FormatInt(fixedNow.Add(CompatSessionLifetime).Unix(), 10)
	for i := 1; i < len(cl); i++ {
		p, c := strings.Split(pl[i], "\t"), strings.Split(cl[i], "\t")
		if strings.HasPrefix(c[0], "#") {
			t.Errorf("line %d starts with # (a comment to wget and MozillaCookieJar): %q", i, c[0])
		}
		if strings.TrimPrefix(p[0], netscapeHTTPOnlyPrefix) != c[0] {
			t.Errorf("line %d domain %q, want %q", i, c[0], strings.TrimPrefix(p[0], netscapeHTTPOnlyPrefix))
		}
		wantExp := p[4]
		if p[4] == "0" {
			wantExp = sessionExpiry
		}
		if c[4] != wantExp {
			t.Errorf("line %d (%s) expiry %s, want %s", i, c[5], c[4], wantExp)
		}
		if !slices.Equal(p[1:4], c[1:4]) || !slices.Equal(p[5:], c[5:]) {
			t.Errorf("line %d differs beyond domain and expiry: %q vs %q", i, pl[i], cl[i])
		}
	}
}
