package bridge

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/authbridge/authbridge/host/apitype"
)

func TestMessage(t *testing.T) {
	tests := []struct {
		id   string
		req  apitype.Request
		want string
	}{
		{"h1", apitype.CookiesGet{Domains: []string{"demo.test"}}, `{"type":"cookies.get","id":"h1","domains":["demo.test"]}`},
		{"h2", apitype.TabsOpen{URL: "http://demo.test/login"}, `{"type":"tabs.open","id":"h2","url":"http://demo.test/login"}`},
		{"", apitype.StatusChanged{Connectors: []apitype.StatusRow{}}, `{"type":"status.changed","connectors":[]}`},
		{"h3", apitype.WatchSet{}, `{"type":"watch.set","id":"h3","connectors":null}`},
	}
	for _, tt := range tests {
		b, err := message(tt.id, tt.req)
		if err != nil {
			t.Fatalf("message(%q, %T): %v", tt.id, tt.req, err)
		}
		if string(b) != tt.want || !json.Valid(b) {
			t.Errorf("message(%q, %T) = %s, want %s", tt.id, tt.req, b, tt.want)
		}
	}
}

func TestCapField(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"Mozilla/5.0", 512, "Mozilla/5.0"},
		{strings.Repeat("A", 15<<20), MaxUserAgent, strings.Repeat("A", MaxUserAgent)},
		{"ab\x1b[2Jc\u0085d", 64, "ab[2Jcd"},
		{"ééé", 5, "éé"}, // never half a character
	}
	for _, tt := range tests {
		if got := CapField(tt.in, tt.n); got != tt.want {
			t.Errorf("CapField(%.20q, %d) = %.20q, want %.20q", tt.in, tt.n, got, tt.want)
		}
	}
}
