package apitype

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// jsTable reads the entries of `export const NAME = Object.freeze({...})`
// in extension/lib/protocol.js: key to value, quotes removed.
func jsTable(t *testing.T, src, name string) map[string]string {
	t.Helper()
	block := regexp.MustCompile(`(?s)export const ` + name + ` = Object\.freeze\(\{(.*?)\}\);`).FindStringSubmatch(src)
	if block == nil {
		t.Fatalf("extension/lib/protocol.js has no %s table", name)
	}
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*([A-Za-z_]+):\s*'?([^',]+)'?,`).FindAllStringSubmatch(block[1], -1) {
		out[m[1]] = m[2]
	}
	return out
}

// TestExtensionProtocol fails when the extension's protocol module and
// this package disagree on an error code, its HTTP status, or a message
// type.
func TestExtensionProtocol(t *testing.T) {
	b, err := os.ReadFile("../../extension/lib/protocol.js")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	codes := jsTable(t, src, "CODES")
	for code, status := range Codes {
		if got, ok := codes[code]; !ok {
			t.Errorf("protocol.js CODES lacks %s", code)
		} else if got != strconv.Itoa(status) {
			t.Errorf("protocol.js CODES.%s = %s, want %d", code, got, status)
		}
	}
	for code := range codes {
		if _, ok := Codes[code]; !ok {
			t.Errorf("protocol.js CODES has %s, which apitype.Codes does not", code)
		}
	}
	types := map[string]bool{}
	for _, v := range jsTable(t, src, "TYPES") {
		types[v] = true
	}
	goTypes := map[string]bool{}
	for _, typ := range []string{TypeBridgeHello, TypeHello, TypeAPI, TypeCookiesChanged, TypeCookiesGet, TypeCookiesMeta,
		TypeWatchSet, TypeTabsOpen, TypeStatusChanged, TypePing, TypeResult, TypeError, TypeChunk, TypeCookiesTouched, TypeCookiesRefresh, TypeCookiesStale, TypeAccessChanged} {
		goTypes[typ] = true
		if !types[typ] {
			t.Errorf("protocol.js TYPES lacks %q", typ)
		}
	}
	for typ := range types {
		if !goTypes[typ] {
			t.Errorf("protocol.js TYPES has %q, which apitype does not", typ)
		}
	}
}
