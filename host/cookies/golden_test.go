package cookies

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestEncodeGolden(t *testing.T) {
	for _, f := range []Format{FormatPlaywright, FormatCDP, FormatNetscape, FormatNetscapeCompat} {
		t.Run(f.String(), func(t *testing.T) {
			var b bytes.Buffer
			if err := Encode(&b, f, fixtureCookies(), Options{Now: fixedNow}); err != nil {
				t.Fatalf("Encode(%s) = %v", f, err)
			}
			checkGolden(t, f.String()+".golden", b.Bytes())
		})
	}
}

// TestHeaderGolden writes one line per URL: the URL, a tab, the header.
func TestHeaderGolden(t *testing.T) {
	urls := []string{
		"http://demo.test/",
		"https://demo.test/",
		"https://demo.test/app",
		"https://demo.test/app/page",
		"http://demo.test/application",
		"https://account.demo.test/settings/profile",
		"https://account.demo.test/settingsx",
		"https://widgets.demo.test/",
		"https://evildemo.test/",
		"http://127.0.0.1:8080/",
		"http://localhost/",
	}
	var b bytes.Buffer
	for _, u := range urls {
		var h bytes.Buffer
		if err := Encode(&h, FormatHeader, fixtureCookies(), Options{URL: u, Now: fixedNow}); err != nil {
			t.Fatalf("Encode(header, %s) = %v", u, err)
		}
		fmt.Fprintf(&b, "%s\t%s", u, h.String())
	}
	checkGolden(t, "header.golden", b.Bytes())
}

// TestNetscapeShape reads the golden output back the way Python's
// MozillaCookieJar does and checks that every line is consistent.
func TestNetscapeShape(t *testing.T) {
	var b bytes.Buffer
	if err := Encode(&b, FormatNetscape, fixtureCookies(), Options{Now: fixedNow}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if lines[0] != NetscapeHeader {
		t.Fatalf("first line = %q, want %q", lines[0], NetscapeHeader)
	}
	want := len(fixtureCookies()) - 1 // the expired one is left out
	if len(lines)-1 != want {
		t.Fatalf("got %d cookie lines, want %d", len(lines)-1, want)
	}
	for i, line := range lines[1:] {
		fields := strings.Split(line, "\t")
		if len(fields) != 7 {
			t.Fatalf("line %d has %d fields, want 7", i+2, len(fields))
		}
		domain := strings.TrimPrefix(fields[0], netscapeHTTPOnlyPrefix)
		if strings.HasPrefix(domain, ".") != (fields[1] == "TRUE") {
			t.Errorf("line %d (cookie %q): domain %q disagrees with includeSubdomains %s", i+2, fields[5], domain, fields[1])
		}
	}
}
