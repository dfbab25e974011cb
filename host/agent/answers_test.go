package agent_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// versionedPeer plays an extension with versions and held answers on the
// agent's bridge socket. The test sets value and version; staleFirst makes
// the next cookies.get answer come right after a cookies.stale.
type versionedPeer struct {
	conn net.Conn
	mu   sync.Mutex
	wmu  sync.Mutex

	value, version string
	staleFirst     bool
	gets           []map[string]any
	replies        map[string]chan struct{}
}

func (p *versionedPeer) write(t *testing.T, m map[string]any) { writeFrame(t, p.conn, &p.wmu, m) }

var staleDemo = map[string]any{"type": "cookies.stale", "domains": [][]string{{"demo.test"}}}

// stale sends cookies.stale, then waits for the agent to answer a request
// sent after it: the agent has read the notice by then.
func (p *versionedPeer) stale(t *testing.T) {
	t.Helper()
	p.write(t, staleDemo)
	p.sync(t)
}

func (p *versionedPeer) sync(t *testing.T) {
	t.Helper()
	id := "e-sync-" + time.Now().Format("150405.000000000")
	done := make(chan struct{})
	p.mu.Lock()
	p.replies[id] = done
	p.mu.Unlock()
	p.write(t, map[string]any{"id": id, "type": "api", "method": "GET", "path": "/v1/ping", "body": nil})
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not answer the fake extension")
	}
}

func (p *versionedPeer) read(t *testing.T) {
	r := bufio.NewReader(p.conn)
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		buf := make([]byte, binary.NativeEndian.Uint32(hdr[:]))
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		var m map[string]any
		json.Unmarshal(buf, &m)
		id, _ := m["id"].(string)
		if m["type"] == "result" || m["type"] == "error" {
			p.mu.Lock()
			if ch := p.replies[id]; ch != nil {
				close(ch)
				delete(p.replies, id)
			}
			p.mu.Unlock()
			continue
		}
		if id == "" {
			continue
		}
		var res any = map[string]any{}
		if m["type"] == "cookies.get" {
			p.mu.Lock()
			p.gets = append(p.gets, m)
			r := map[string]any{"version": p.version, "held": m["hold"] == true, "store_id": "0"}
			if m["if_version"] == p.version {
				r["unchanged"] = true
			} else {
				r["cookies"] = []any{map[string]any{"name": "sid", "value": p.value, "domain": "demo.test", "path": "/",
					"hostOnly": true, "secure": false, "httpOnly": true, "sameSite": "lax", "session": true}}
			}
			first := p.staleFirst
			p.staleFirst = false
			p.mu.Unlock()
			if first {
				p.write(t, staleDemo)
			}
			res = r
		}
		p.write(t, map[string]any{"id": id, "type": "result", "result": res})
	}
}

// TestHeldAnswers runs a real agent against the fake: a held answer is
// answered again without asking; after cookies.stale the next request is
// conditional, and "unchanged" reuses the cookies; a notice that arrives
// while a request is out keeps that answer from being held.
func TestHeldAnswers(t *testing.T) {
	p, _ := startDemoAgent(t)

	c, err := net.Dial("unix", p.BridgeSocket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	peer := &versionedPeer{conn: c, value: "V1", version: "x.1", replies: map[string]chan struct{}{}}
	go peer.read(t)
	peer.write(t, map[string]any{"type": "bridge.hello", "origin": "chrome-extension://ldpickkggldlkffgckonbokbiinckjpp/", "relay_pid": os.Getpid(), "protocol": 1})
	peer.write(t, map[string]any{"id": "e1", "type": "hello", "extension_id": "ldpickkggldlkffgckonbokbiinckjpp", "version": "0.0.0-test", "user_agent": "go-test"})
	peer.sync(t)

	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", p.APISocket)
	}}}
	get := func() string {
		t.Helper()
		res, err := hc.Get("http://authbridge/v1/connectors/demo/cookies?format=playwright")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var st struct {
			Cookies []struct{ Value string } `json:"cookies"`
		}
		if err := json.NewDecoder(res.Body).Decode(&st); err != nil || res.StatusCode != 200 || len(st.Cookies) != 1 {
			t.Fatalf("cookies: status %d, %d cookies, %v", res.StatusCode, len(st.Cookies), err)
		}
		return st.Cookies[0].Value
	}
	asked := func() []map[string]any {
		peer.mu.Lock()
		defer peer.mu.Unlock()
		return append([]map[string]any(nil), peer.gets...)
	}
	set := func(value, version string) {
		peer.mu.Lock()
		peer.value, peer.version = value, version
		peer.mu.Unlock()
	}

	if v := get(); v != "V1" {
		t.Fatalf("first answer %q, want V1", v)
	}
	if g := asked(); len(g) != 1 || g[0]["hold"] != true || g[0]["if_version"] != nil {
		t.Fatalf("first request %v, want one with hold and no if_version", g)
	}
	if v := get(); v != "V1" || len(asked()) != 1 {
		t.Fatalf("held answer: got %q after %d requests, want V1 without asking again", v, len(asked()))
	}

	set("V2", "x.2")
	peer.stale(t)
	if v := get(); v != "V2" {
		t.Fatalf("after cookies.stale got %q, want V2", v)
	}
	if g := asked(); len(g) != 2 || g[1]["if_version"] != "x.1" {
		t.Fatalf("requests %v, want a second one conditional on x.1", g)
	}

	peer.stale(t) // nothing changed in fact: the answer is "unchanged"
	if v := get(); v != "V2" || len(asked()) != 3 {
		t.Fatalf("unchanged answer: got %q after %d requests, want V2 after 3", v, len(asked()))
	}
	if v := get(); v != "V2" || len(asked()) != 3 {
		t.Fatalf("an unchanged answer is held again: got %q after %d requests", v, len(asked()))
	}

	// A notice that arrives after the request left, before its answer.
	set("V3", "x.3")
	peer.mu.Lock()
	peer.staleFirst = true
	peer.mu.Unlock()
	peer.write(t, staleDemo)
	peer.sync(t)
	if v := get(); v != "V3" || len(asked()) != 4 {
		t.Fatalf("got %q after %d requests, want V3 after 4", v, len(asked()))
	}
	if v := get(); v != "V3" || len(asked()) != 5 {
		t.Fatalf("an answer overtaken by cookies.stale was held: %d requests, want 5 (%q)", len(asked()), v)
	}
	if g := asked(); !strings.HasPrefix(g[4]["if_version"].(string), "x.3") {
		t.Errorf("the request after it was %v, want conditional on x.3", g[4])
	}
}
