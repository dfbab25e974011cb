//go:build !windows

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
)

// cliResult is what a command run in the background printed.
type cliResult struct {
	out, errOut string
	code        int
}

// runAsync runs the authbridge binary in the background, for commands the
// test has to answer as the browser while they run.
func (w *world) runAsync(args ...string) <-chan cliResult {
	ch := make(chan cliResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, binPath, args...)
		cmd.Env = w.env()
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			code = -1
		}
		ch <- cliResult{out.String(), errb.String(), code}
	}()
	return ch
}

func waitResult(t *testing.T, ch <-chan cliResult, what string) cliResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(45 * time.Second):
		t.Fatalf("%s did not finish within 45s", what)
	}
	return cliResult{}
}

func byType(typ string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == typ }
}

// helloed starts a relay and completes the extension's hello and watch.set.
func (w *world) helloed(hello map[string]any) *fakeBrowser {
	w.t.Helper()
	f := w.startRelay(origin)
	hello["id"], hello["type"] = "e1", "hello"
	f.send(hello)
	if res := f.recv(byID("e1")); res["type"] != "result" {
		w.t.Fatalf("hello answered %v", res)
	}
	ws := f.recv(byType(apitype.TypeWatchSet))
	f.send(map[string]any{"id": ws["id"], "type": "result", "result": map[string]any{}})
	return f
}

func githubCookie() map[string]any {
	return map[string]any{"name": "user_session", "value": "test-value", "domain": "github.com", "path": "/",
		"hostOnly": true, "secure": true, "httpOnly": true, "sameSite": "lax", "session": false,
		"expirationDate": float64(time.Now().Add(24 * time.Hour).Unix())}
}

// TestRepeatedReplyDoesNotWedgeTheBridge is issue 14 item 4: one reply sent
// fifty times used to block the agent's reader for good.
func TestRepeatedReplyDoesNotWedgeTheBridge(t *testing.T) {
	w := newWorldNoBrowser(t)
	f := w.helloed(map[string]any{"extension_id": "x", "version": "test", "user_agent": "go"})

	first := w.runAsync("cookies", "github")
	req := f.recv(byType(apitype.TypeCookiesGet))
	reply := map[string]any{"id": req["id"], "type": "result", "result": map[string]any{"cookies": []any{githubCookie()}}}
	for range 50 {
		f.send(reply)
	}
	if r := waitResult(t, first, "the first cookies request"); r.code != 0 {
		t.Fatalf("first cookies github: exit %d, stderr %q", r.code, r.errOut)
	}

	next := w.runAsync("cookies", "github")
	req = f.recv(byType(apitype.TypeCookiesGet))
	f.send(map[string]any{"id": req["id"], "type": "result", "result": map[string]any{"cookies": []any{githubCookie()}}})
	r := waitResult(t, next, "the request after the repeated reply")
	if r.code != 0 || !strings.Contains(r.out, "user_session") {
		t.Fatalf("after one reply sent 50 times, cookies github: exit %d, stderr %q", r.code, r.errOut)
	}

	// A reply to an id nobody asked is dropped; the bridge still answers.
	f.send(map[string]any{"id": "h999999", "type": "result", "result": map[string]any{}})
	f.send(map[string]any{"id": "e2", "type": "hello", "version": "test"})
	if res := f.recv(byID("e2")); res["type"] != "result" {
		t.Errorf("after a reply to an unknown id, hello answered %v", res)
	}
}

// TestNonStringIDAndBadFrames is issue 14 item 8's frame checks: a numeric
// id gets bad_request (it used to get no answer at all), invalid UTF-8 is
// refused by name, and a huge hello is not echoed.
func TestNonStringIDAndBadFrames(t *testing.T) {
	w := newWorldNoBrowser(t)
	f := w.helloed(map[string]any{"extension_id": "x", "version": "test", "user_agent": strings.Repeat("A", 15<<20)})

	f.send(map[string]any{"id": 7, "type": "hello", "version": "test"})
	res := f.recv(func(m map[string]any) bool { return m["id"] == float64(7) })
	if e, _ := res["error"].(map[string]any); res["type"] != "error" || e["code"] != apitype.CodeBadRequest {
		t.Errorf("a numeric id was answered %v, want error bad_request", res)
	}

	f.sendRaw(frame([]byte("{\"id\":\"u1\",\"type\":\"hello\",\"version\":\"t\xff\"}")))
	res = f.recv(func(m map[string]any) bool { return m["type"] == "error" })
	if e, _ := res["error"].(map[string]any); e["code"] != apitype.CodeBadRequest || !strings.Contains(e["message"].(string), "UTF-8") {
		t.Errorf("invalid UTF-8 was answered %v, want bad_request naming UTF-8", res)
	}

	var st apitype.Status
	if err := json.Unmarshal([]byte(w.must("status", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Bridges) != 1 {
		t.Fatalf("status lists %d bridges, want 1", len(st.Bridges))
	}
	if n := len(st.Bridges[0].UserAgent); n > 1024 {
		t.Errorf("status echoes a %d-byte user_agent, want it capped", n)
	}
}

// TestFIFOInConnectorsFolder is issue 14 item 3: a FIFO in the connectors
// folder hung the agent at start for good. Now `authbridge connectors`
// lists the good file and names the FIFO, within 10 s.
func TestFIFOInConnectorsFolder(t *testing.T) {
	w := newWorldNoBrowser(t)
	w.writeConnector(map[string]any{"id": "good", "name": "Good", "domains": []string{"good.test"}})
	dir := filepath.Join(w.home, "connectors")
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.json"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, "connectors")
	cmd.Env = w.env()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("authbridge connectors with a FIFO in the folder: %v (within 10s: %v); stderr %q", err, ctx.Err() == nil, errb.String())
	}
	if !strings.Contains(out.String(), "good") {
		t.Errorf("connectors does not list the good file:\n%s", out.String())
	}
	if !strings.Contains(errb.String(), "fifo.json: is a named pipe (FIFO), not a regular file") {
		t.Errorf("connectors does not name the FIFO: %q", errb.String())
	}
}

// TestConnectorsEscapesTerminalCodes is issue 14 item 8: a connector name
// may not hold control characters, and whatever reaches the terminal (here
// a refused file's name) is escaped, not obeyed.
func TestConnectorsEscapesTerminalCodes(t *testing.T) {
	w := newWorldNoBrowser(t)
	w.writeConnector(map[string]any{"id": "evil", "name": "Evil\x1b]0;pwned\x07\x1b[2J", "domains": []string{"evil.test"}})
	dir := filepath.Join(w.home, "connectors")
	os.WriteFile(filepath.Join(dir, "x\x1b[31m.json"), []byte(`{`), 0o600)
	stdout, stderr, code := w.run("", "connectors")
	if code != 0 {
		t.Fatalf("connectors: exit %d, %s", code, stderr)
	}
	if strings.ContainsRune(stdout+stderr, 0x1b) || strings.ContainsRune(stdout+stderr, 0x07) {
		t.Errorf("connectors printed raw control characters: %q %q", stdout, stderr)
	}
	if !strings.Contains(stderr, `name holds the control character U+001B`) || !strings.Contains(stderr, `x\u001b[31m.json`) {
		t.Errorf("connectors does not name the refused name and escape the file name: %q", stderr)
	}
}
