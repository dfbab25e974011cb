package relay

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/nativemsg"
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

type refusedErr struct{}

func (refusedErr) Error() string {
	return "the agent did not start: the state database /h/state.db is corrupt: move it aside"
}
func (refusedErr) AgentRefused() bool { return true }

// TestAgentRefusesToStart: when the agent says why it will not start, the
// relay answers the browser's requests with that reason and does not start
// it again meanwhile (it used to retry every few milliseconds and never
// answer).
func TestAgentRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	var starts atomic.Int32
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	const origin = "chrome-extension://abc/"
	cfg := Config{Origin: origin, Allowed: []string{origin}, BridgeSocket: filepath.Join(dir, "none.sock"),
		StartAgent: func(context.Context) error { starts.Add(1); return refusedErr{} }}
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), cfg, inR, outW) }()
	w := nativemsg.NewWriter(inW, 0)
	rd := nativemsg.NewReader(outR, 1<<20)
	for i, frame := range []string{`{"id":"e1","type":"hello","version":"1"}`, `{"type":"cookies.changed","changes":[]}`, `{"id":"e2","type":"api","method":"GET","path":"/v1/status"}`} {
		if err := w.WriteFrame([]byte(frame)); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			continue // a notification gets no answer
		}
		got := make(chan []byte, 1)
		go func() { b, _ := rd.ReadFrame(); got <- b }()
		var reply struct {
			ID    string `json:"id"`
			Type  string `json:"type"`
			Error struct{ Code, Message string }
		}
		select {
		case b := <-got:
			if err := json.Unmarshal(b, &reply); err != nil {
				t.Fatalf("reply %q: %v", b, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no answer to %s within 10s (%d agent starts)", frame, starts.Load())
		}
		if reply.Type != "error" || reply.Error.Code != "agent_unavailable" || !strings.Contains(reply.Error.Message, "state.db is corrupt: move it aside") {
			t.Errorf("reply to %s = %+v, want agent_unavailable with the agent's reason", frame, reply)
		}
	}
	if n := starts.Load(); n != 1 {
		t.Errorf("the relay started the agent %d times while it answered, want 1", n)
	}
	inW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v after stdin closed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the relay did not end after stdin closed")
	}
}
