package agent_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/agent"
	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/paths"
)

// fakePeer plays the extension on the agent's bridge socket: it answers
// watch.set, cookies.meta and ping, and cookies.get with value().
type fakePeer struct {
	conn net.Conn
	mu   sync.Mutex
}

func (p *fakePeer) send(t *testing.T, m map[string]any) { writeFrame(t, p.conn, &p.mu, m) }

// writeFrame writes m to conn as one native-messaging frame, as the
// extension's side of a fake bridge does, holding mu for the write. A
// connection the test's cleanup has closed is not an error: an answer to
// a request that came in as the test ended has nobody to go to.
func writeFrame(t *testing.T, conn net.Conn, mu *sync.Mutex, m map[string]any) {
	b, _ := json.Marshal(m)
	frame := make([]byte, 4+len(b))
	binary.NativeEndian.PutUint32(frame, uint32(len(b)))
	copy(frame[4:], b)
	mu.Lock()
	defer mu.Unlock()
	if _, err := conn.Write(frame); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Errorf("fake extension: %v", err)
	}
}

func startPeer(t *testing.T, sock string, value func() string) *fakePeer {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	p := &fakePeer{conn: c}
	go func() {
		r := bufio.NewReader(c)
		for {
			var hdr [4]byte
			if _, err := ioReadFull(r, hdr[:]); err != nil {
				return
			}
			buf := make([]byte, binary.NativeEndian.Uint32(hdr[:]))
			if _, err := ioReadFull(r, buf); err != nil {
				return
			}
			var m map[string]any
			json.Unmarshal(buf, &m)
			id, _ := m["id"].(string)
			if id == "" || m["type"] == "result" || m["type"] == "error" {
				continue
			}
			var res any = map[string]any{}
			switch m["type"] {
			case "cookies.meta":
				res = map[string]any{"cookies": []any{}, "total": 0}
			case "cookies.refresh":
				res = map[string]any{"status": 0, "redirected": true, "cookies": []any{map[string]any{"name": "sid", "value": value(), "domain": "demo.test", "path": "/",
					"hostOnly": true, "secure": false, "httpOnly": true, "sameSite": "lax", "session": true}}}
			case "cookies.get":
				res = map[string]any{"cookies": []any{map[string]any{"name": "sid", "value": value(), "domain": "demo.test", "path": "/",
					"hostOnly": true, "secure": false, "httpOnly": true, "sameSite": "lax", "session": true}}}
			}
			p.send(t, map[string]any{"id": id, "type": "result", "result": res})
		}
	}()
	p.send(t, map[string]any{"type": "bridge.hello", "origin": "chrome-extension://ldpickkggldlkffgckonbokbiinckjpp/", "relay_pid": os.Getpid(), "protocol": 1})
	p.send(t, map[string]any{"id": "e1", "type": "hello", "extension_id": "ldpickkggldlkffgckonbokbiinckjpp", "version": "0.0.0-test", "user_agent": "go-test"})
	return p
}

func ioReadFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// TestCookieStreamIsAuditedOnce opens the cookie stream on a real agent
// with a scripted extension: the stream is one release row in the state
// database, with the stream's format, however many events it sends, and a
// wake-up that changes nothing sends nothing.
func TestCookieStreamIsAuditedOnce(t *testing.T) {
	p, a := startDemoAgent(t)

	var mu sync.Mutex
	value := "V1"
	peer := startPeer(t, p.BridgeSocket, func() string { mu.Lock(); defer mu.Unlock(); return value })
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", p.APISocket)
	}}}
	var res *http.Response
	var err error
	var lastBody string
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err = hc.Get("http://authbridge/v1/connectors/demo/cookies/stream")
		if err == nil && res.StatusCode == 200 {
			break
		}
		if err == nil {
			b := make([]byte, 512)
			n, _ := res.Body.Read(b)
			lastBody = string(b[:n])
			res.Body.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stream did not open: %v %s", err, lastBody)
		}
		time.Sleep(20 * time.Millisecond) // the fake extension is still saying hello
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	events := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "data: ") {
				events <- line[len("data: "):]
			}
		}
		close(events)
	}()
	next := func() string {
		t.Helper()
		select {
		case e := <-events:
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no stream event")
			return ""
		}
	}
	if e := next(); !strings.Contains(e, `"V1"`) {
		t.Fatalf("first event %s, want the set with V1", e)
	}
	peer.send(t, map[string]any{"type": "cookies.touched", "connectors": []string{"demo"}}) // nothing changed
	mu.Lock()
	value = "V2"
	mu.Unlock()
	peer.send(t, map[string]any{"type": "cookies.touched", "connectors": []string{"demo"}})
	if e := next(); !strings.Contains(e, `"V2"`) {
		t.Fatalf("second event %s, want the set with V2", e)
	}
	rel, err := a.Store().Releases(context.Background(), "demo", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rel) != 1 {
		t.Fatalf("%d release rows, want 1 (one per stream, whatever it sends)", len(rel))
	}
	for _, r := range rel {
		if r.Format != "playwright-stream" || r.Count != 1 {
			t.Errorf("release %+v, want format playwright-stream and 1 cookie", r)
		}
	}
}

// startDemoAgent runs a real agent in a fresh home, serving one demo
// connector and accepting the test extension's origin, until the test ends;
// it returns the agent's paths and the agent.
func startDemoAgent(t *testing.T) (paths.Paths, *agent.Agent) {
	t.Helper()
	p, err := paths.Resolve(paths.WithHome(t.TempDir(), nil))
	if err != nil {
		t.Fatal(err)
	}
	def := connector.Definition{ID: "demo", Name: "Demo", Domains: []string{"demo.test"}, AuthCookies: []string{"sid"},
		LoginURL: "http://demo.test/login", Verify: connector.Verify{URL: "http://demo.test/account", LoggedInSelector: "#a"}}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	a, err := agent.New(ctx, agent.Config{Paths: p, Ready: func() { close(ready) }, AllowedOrigins: []string{"chrome-extension://ldpickkggldlkffgckonbokbiinckjpp/"},
		LoadConnectors: func() ([]connector.Definition, []apitype.Problem) { return []connector.Definition{def}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	<-ready
	return p, a
}
