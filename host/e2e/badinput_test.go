//go:build !windows

package e2e

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
)

const origin = "chrome-extension://ldpickkggldlkffgckonbokbiinckjpp/"

// fakeBrowser plays Chrome's side of a native-messaging port: it starts
// the relay the way Chrome does and speaks frames on its stdin and stdout.
type fakeBrowser struct {
	t    *testing.T
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  io.ReadCloser
	errb bytes.Buffer
	done chan error
	// frames carries every frame the relay writes, in order (closed at
	// its end of stdout); backlog keeps those no recv has matched yet, so
	// frames the host sends in either order (a reply and a watch.set) are
	// both found.
	frames  chan map[string]any
	backlog []map[string]any
}

func (w *world) startRelay(originArg string) *fakeBrowser {
	w.t.Helper()
	cmd := exec.Command(binPath, originArg)
	cmd.Env = w.env()
	f := &fakeBrowser{t: w.t, cmd: cmd, done: make(chan error, 1)}
	f.in, _ = cmd.StdinPipe()
	f.out, _ = cmd.StdoutPipe()
	cmd.Stderr = &f.errb
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	f.frames = make(chan map[string]any, 64)
	go f.readFrames()
	go func() { f.done <- cmd.Wait() }()
	w.t.Cleanup(func() { cmd.Process.Kill() })
	return f
}

// readFrames reads the relay's stdout frame by frame until it ends.
func (f *fakeBrowser) readFrames() {
	defer close(f.frames)
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(f.out, hdr[:]); err != nil {
			return
		}
		b := make([]byte, binary.NativeEndian.Uint32(hdr[:]))
		if _, err := io.ReadFull(f.out, b); err != nil {
			return
		}
		var m map[string]any
		json.Unmarshal(b, &m)
		f.frames <- m
	}
}

func (f *fakeBrowser) sendRaw(b []byte) {
	f.t.Helper()
	if _, err := f.in.Write(b); err != nil {
		f.t.Fatalf("write to relay: %v", err)
	}
}

func frame(payload []byte) []byte {
	b := make([]byte, 4+len(payload))
	binary.NativeEndian.PutUint32(b, uint32(len(payload)))
	copy(b[4:], payload)
	return b
}

func (f *fakeBrowser) send(m map[string]any) {
	b, _ := json.Marshal(m)
	f.sendRaw(frame(b))
}

// recv returns the first frame, in the order the relay wrote them, that
// matches and no earlier recv took, waiting up to 15 s for it.
func (f *fakeBrowser) recv(match func(map[string]any) bool) map[string]any {
	f.t.Helper()
	for i, m := range f.backlog {
		if match(m) {
			f.backlog = append(f.backlog[:i], f.backlog[i+1:]...)
			return m
		}
	}
	deadline := time.After(15 * time.Second)
	for {
		select {
		case m, ok := <-f.frames:
			if !ok {
				f.t.Fatalf("relay closed its stdout; stderr: %s", f.errb.String())
			}
			if match(m) {
				return m
			}
			f.backlog = append(f.backlog, m)
		case <-deadline:
			f.t.Fatalf("no matching frame from the relay within 15s")
		}
	}
}

func byID(id string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["id"] == id }
}

// exitWithin waits for the relay to exit and returns its exit error.
func (f *fakeBrowser) exitWithin(d time.Duration) error {
	select {
	case err := <-f.done:
		return err
	case <-time.After(d):
		f.t.Fatalf("relay still running %v later", d)
	}
	return nil
}

func TestRelayProtocolAndBadInput(t *testing.T) {
	w := newWorldNoBrowser(t)

	t.Run("hello and clean exit on EOF", func(t *testing.T) {
		f := w.startRelay(origin)
		f.send(map[string]any{"id": "e1", "type": "hello", "extension_id": "x", "version": "test", "user_agent": "go"})
		res := f.recv(byID("e1"))
		if res["type"] != "result" {
			t.Fatalf("hello answered %v", res)
		}
		f.recv(func(m map[string]any) bool { return m["type"] == "watch.set" })
		f.in.Close()
		if err := f.exitWithin(20 * time.Second); err != nil {
			t.Errorf("relay exit after EOF: %v (stderr %s)", err, f.errb.String())
		}
	})

	t.Run("unknown message type", func(t *testing.T) {
		f := w.startRelay(origin)
		f.send(map[string]any{"id": "e9", "type": "no.such.type"})
		res := f.recv(byID("e9"))
		e, _ := res["error"].(map[string]any)
		if res["type"] != "error" || e["code"] != "unknown_type" || !strings.Contains(e["message"].(string), "no.such.type") {
			t.Errorf("unknown type answered %v, want error unknown_type naming the type", res)
		}
		f.in.Close()
		f.exitWithin(20 * time.Second)
	})

	t.Run("invalid JSON is refused and the bridge lives on", func(t *testing.T) {
		f := w.startRelay(origin)
		f.sendRaw(frame([]byte(`{"id":"e1","type":`)))
		res := f.recv(func(m map[string]any) bool { return m["type"] == "error" })
		e, _ := res["error"].(map[string]any)
		if e["code"] != "bad_request" || !strings.Contains(e["message"].(string), "invalid JSON") {
			t.Errorf("invalid JSON answered %v", res)
		}
		f.send(map[string]any{"id": "e2", "type": "hello", "version": "test"})
		if res := f.recv(byID("e2")); res["type"] != "result" {
			t.Errorf("after a bad frame, hello answered %v", res)
		}
		f.in.Close()
		f.exitWithin(20 * time.Second)
	})

	t.Run("huge length", func(t *testing.T) {
		f := w.startRelay(origin)
		f.sendRaw([]byte{0xff, 0xff, 0xff, 0x7f})
		err := f.exitWithin(20 * time.Second)
		if err == nil || !strings.Contains(f.errb.String(), "frame too large") {
			t.Errorf("relay after a 2 GiB length: err %v, stderr %q; want an exit naming the frame size", err, f.errb.String())
		}
	})

	t.Run("truncated frame", func(t *testing.T) {
		f := w.startRelay(origin)
		f.sendRaw(frame([]byte(`{"type":"hello"}`))[:9])
		f.in.Close()
		err := f.exitWithin(20 * time.Second)
		if err == nil || !strings.Contains(f.errb.String(), "truncated frame") {
			t.Errorf("relay after a truncated frame: err %v, stderr %q", err, f.errb.String())
		}
	})

	t.Run("origin not allowed", func(t *testing.T) {
		f := w.startRelay("chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/")
		err := f.exitWithin(20 * time.Second)
		if err == nil || !strings.Contains(f.errb.String(), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") || !strings.Contains(f.errb.String(), "not") {
			t.Errorf("relay for a foreign origin: err %v, stderr %q; want a refusal naming the origin", err, f.errb.String())
		}
	})

	t.Run("unknown connector", func(t *testing.T) {
		_, errOut, code := w.run("", "cookies", "nosuch")
		if code != 1 || !strings.Contains(errOut, `unknown connector "nosuch"`) {
			t.Errorf("cookies nosuch: exit %d, stderr %q", code, errOut)
		}
	})

	t.Run("no browser connected exits 3", func(t *testing.T) {
		_, errOut, code := w.run("", "cookies", "github")
		if code != 3 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "open Chrome") {
			t.Errorf("cookies with no browser: exit %d, stderr %q; want 3 and one sentence", code, errOut)
		}
	})

	t.Run("malformed connector file names the file", func(t *testing.T) {
		dir := filepath.Join(w.home, "connectors")
		os.MkdirAll(dir, 0o700)
		os.WriteFile(filepath.Join(dir, "broken.json"), []byte(`{"id":"broken","domains":["co.uk"]}`), 0o600)
		os.WriteFile(filepath.Join(dir, "garbage.json"), []byte(`{"id":`), 0o600)
		// The agent reloads definitions when the directory changes; a fresh
		// agent reads them at start.
		w.restartAgent()
		out := w.must("connectors", "--json")
		for _, want := range []string{"broken.json", "co.uk", "public suffix", "garbage.json"} {
			if !strings.Contains(out, want) {
				t.Errorf("connectors --json does not mention %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, `"id": "broken"`) {
			t.Errorf("the refused definition was loaded anyway")
		}
	})
}

// newWorldNoBrowser is a world for tests that play the browser themselves.
func newWorldNoBrowser(t *testing.T) *world {
	t.Helper()
	base := t.TempDir()
	w := &world{t: t, home: filepath.Join(base, "ab"), userDir: filepath.Join(base, "user")}
	os.MkdirAll(w.home, 0o700)
	os.MkdirAll(w.userDir, 0o700)
	t.Cleanup(w.stopAgent)
	return w
}

// restartAgent stops the agent; the next command starts a fresh one.
func (w *world) restartAgent() {
	w.t.Helper()
	w.stopAgent()
	// A stopping agent removes its sockets.
	eventually(w.t, 10*time.Second, "the agent has stopped", func() bool {
		_, err := os.Stat(filepath.Join(w.home, "run", "api.sock"))
		return err != nil
	})
}

func TestConcurrentStartsMakeOneAgent(t *testing.T) {
	w := newWorldNoBrowser(t)
	const n = 6
	pids := make(chan int, n)
	for i := 0; i < n; i++ {
		go func() {
			cmd := exec.Command(binPath, "status", "--json")
			cmd.Env = w.env()
			out, err := cmd.Output()
			var st apitype.Status
			if err != nil || json.Unmarshal(out, &st) != nil {
				pids <- -1
				return
			}
			pids <- st.Agent.PID
		}()
	}
	first := 0
	for i := 0; i < n; i++ {
		p := <-pids
		if p <= 0 {
			t.Fatalf("a concurrent status failed")
		}
		if first == 0 {
			first = p
		} else if p != first {
			t.Errorf("concurrent clients reached agents %d and %d, want one", first, p)
		}
	}
}

func TestAgentIdleExit(t *testing.T) {
	w := newWorldNoBrowser(t)
	cmd := exec.Command(binPath, "serve", "--foreground", "--idle-exit", "300ms")
	cmd.Env = w.env()
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("agent exited with %v: %s", err, errb.String())
		}
		if !strings.Contains(errb.String(), "idle") {
			t.Errorf("agent log does not say it exited for idleness: %s", errb.String())
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("agent with --idle-exit 300ms still running after 20s")
	}
	if _, err := os.Stat(filepath.Join(w.home, "run", "api.sock")); err == nil {
		t.Errorf("the idle agent left its socket behind")
	}
}
