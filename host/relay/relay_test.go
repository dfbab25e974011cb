package relay

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestUserDataDirFromArgs(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"/usr/lib/chromium/chromium", "--user-data-dir=/tmp/p", "--headless=new"}, "/tmp/p"},
		{[]string{"chrome", "--user-data-dir", "/x y"}, "/x y"},
		{[]string{"chrome", "--profile-directory=Profile 2"}, ""},
		{[]string{"/usr/lib/firefox-esr/firefox-esr", "--headless", "--profile", "/tmp/ff"}, "/tmp/ff"},
		{[]string{"firefox", "-profile", "/home/u/.mozilla/firefox/x.default"}, "/home/u/.mozilla/firefox/x.default"},
		{[]string{"firefox", "-P", "work"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := userDataDirFromArgs(tt.args); got != tt.want {
			t.Errorf("userDataDirFromArgs(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestOriginFromArgs(t *testing.T) {
	if got := OriginFromArgs([]string{"--parent-window=12", "chrome-extension://abc/"}); got != "chrome-extension://abc/" {
		t.Errorf("OriginFromArgs = %q", got)
	}
}

func TestCallerFromArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"chrome linux", []string{"chrome-extension://ldpickkggldlkffgckonbokbiinckjpp/"}, "chrome-extension://ldpickkggldlkffgckonbokbiinckjpp/"},
		{"chrome windows", []string{"chrome-extension://ldpickkggldlkffgckonbokbiinckjpp/", "--parent-window=0"}, "chrome-extension://ldpickkggldlkffgckonbokbiinckjpp/"},
		{"firefox", []string{"/home/u/.mozilla/native-messaging-hosts/com.authbridge.host.json", "authbridge@authbridge.dev"}, "authbridge@authbridge.dev"},
		{"firefox windows", []string{`C:\Program Files\authbridge\com.authbridge.host.firefox.json`, "{2d4b5a7e-0f1c-4e7a-9b8d-0123456789ab}"}, "{2d4b5a7e-0f1c-4e7a-9b8d-0123456789ab}"},
		{"a command", []string{"status", "--json"}, ""},
		{"json then flag", []string{"/x/m.json", "--json"}, ""},
		{"manifest only", []string{"/x/m.json"}, ""},
		{"none", nil, ""},
	}
	for _, tt := range tests {
		if got := CallerFromArgs(tt.args); got != tt.want {
			t.Errorf("%s: CallerFromArgs(%q) = %q, want %q", tt.name, tt.args, got, tt.want)
		}
	}
}

func TestRunRefusesAnUnknownGeckoIDByName(t *testing.T) {
	tests := []struct {
		caller, want string
	}{
		{"evil@example.org", `Firefox extension id "evil@example.org"`},
		{"chrome-extension://abcdefghijklmnopabcdefghijklmnop/", `"chrome-extension://abcdefghijklmnopabcdefghijklmnop/"`},
	}
	for _, tt := range tests {
		err := Run(context.Background(), Config{Origin: tt.caller, Allowed: []string{"authbridge@authbridge.dev", "chrome-extension://ldpickkggldlkffgckonbokbiinckjpp/"}},
			strings.NewReader(""), io.Discard)
		if !errors.Is(err, ErrOriginNotAllowed) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Run(%q) = %v, want ErrOriginNotAllowed naming %s", tt.caller, err, tt.want)
		}
	}
	err := Run(context.Background(), Config{Origin: "authbridge@authbridge.dev", Allowed: []string{"authbridge@authbridge.dev"}}, strings.NewReader(""), io.Discard)
	if err != nil {
		t.Errorf("Run(allowed gecko id) with closed stdin = %v, want nil", err)
	}
}
