package agent_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/agent"
	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/paths"
)

// bigCookies is a cookie set of about 170 KB: 42 cookies of 4 KB.
func bigCookies(tag string) []any {
	var out []any
	for i := range 42 {
		out = append(out, map[string]any{"name": fmt.Sprintf("c%d", i), "value": tag + strings.Repeat("v", 4000), "domain": "demo.test", "path": "/",
			"hostOnly": true, "secure": false, "httpOnly": true, "sameSite": "lax", "session": true})
	}
	return out
}

// startBigPeer plays the extension, answering cookies.get with
// bigCookies(tag()).
func startBigPeer(t *testing.T, sock string, tag func() string) *fakePeer {
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
			if id == "" || m["type"] == "result" || m["type"] == "error" {
				continue
			}
			var res any = map[string]any{}
			switch m["type"] {
			case "cookies.meta":
				res = map[string]any{"cookies": []any{}, "total": 0}
			case "cookies.get":
				res = map[string]any{"cookies": bigCookies(tag())}
			}
			p.send(t, map[string]any{"id": id, "type": "result", "result": res})
		}
	}()
	p.send(t, map[string]any{"type": "bridge.hello", "origin": "chrome-extension://ldpickkggldlkffgckonbokbiinckjpp/", "relay_pid": os.Getpid(), "protocol": 1})
	p.send(t, map[string]any{"id": "e1", "type": "hello", "extension_id": "ldpickkggldlkffgckonbokbiinckjpp", "version": "0.0.0-test", "user_agent": "go-test"})
	return p
}

// rssKB is this process's resident set, in KiB.
func rssKB(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatalf("read this process's resident set: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}

// heapKB is the Go heap in use, in KiB, after a collection.
func heapKB() int {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int(m.HeapInuse / 1024)
}

// TestCookieStreamsAreBounded opens cookie streams that never read, on a
// real agent with a scripted extension sending a 170 KB cookie set that
// changes 6 times: streams beyond the per-user cap are refused with a clear
// error, the ones that do not read are closed after the stall time, the
// memory they held is returned, and each stream is one audit row.
func TestCookieStreamsAreBounded(t *testing.T) {
	const maxStreams, streams = 40, 40
	p, err := paths.Resolve(paths.WithHome(t.TempDir(), nil))
	if err != nil {
		t.Fatal(err)
	}
	def := connector.Definition{ID: "demo", Name: "Demo", Domains: []string{"demo.test"}, AuthCookies: []string{"c0"}}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	a, err := agent.New(ctx, agent.Config{Paths: p, Ready: func() { close(ready) }, AllowedOrigins: []string{"chrome-extension://ldpickkggldlkffgckonbokbiinckjpp/"},
		MaxStreams: maxStreams, StreamStall: 3 * time.Second,
		LoadConnectors: func() ([]connector.Definition, []apitype.Problem) { return []connector.Definition{def}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	<-ready
	var mu sync.Mutex
	tag := "A"
	peer := startBigPeer(t, p.BridgeSocket, func() string { mu.Lock(); defer mu.Unlock(); return tag })

	// open sends the stream request on a raw connection that is never read
	// past the status line.
	open := func() (net.Conn, string) {
		c, err := net.Dial("unix", p.APISocket)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET /v1/connectors/demo/cookies/stream HTTP/1.1\r\nHost: authbridge\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		line, _ := bufio.NewReaderSize(c, 16).ReadString('\n')
		return c, line
	}
	// The fake extension is still saying hello: wait for a first stream.
	eventually(t, 10*time.Second, "a stream opens", func() bool {
		c, line := open()
		c.Close()
		return strings.Contains(line, " 200 ")
	})
	eventually(t, 10*time.Second, "the probe stream is closed", func() bool { return a.OpenStreams() == 0 })
	before, heapBefore := rssKB(t), heapKB()
	var conns []net.Conn
	for range streams {
		c, line := open()
		if !strings.Contains(line, " 200 ") {
			t.Fatalf("stream answered %q", line)
		}
		conns = append(conns, c)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	// One beyond the cap is refused, clearly.
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", p.APISocket)
	}}}
	res, err := hc.Get("http://authbridge/v1/connectors/demo/cookies/stream")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusConflict || !strings.Contains(string(body), "cookie streams") || !strings.Contains(string(body), strconv.Itoa(maxStreams)) {
		t.Fatalf("stream %d answered %d %s, want 409 (busy) naming the cap of %d cookie streams", streams+1, res.StatusCode, body, maxStreams)
	}
	for i := range 6 {
		mu.Lock()
		tag = fmt.Sprintf("B%d", i)
		mu.Unlock()
		peer.send(t, map[string]any{"type": "cookies.touched", "connectors": []string{"demo"}})
	}
	eventually(t, 30*time.Second, "every stream has its first event written and a change pending", func() bool { return a.StreamEvents() >= streams+1 })
	during, heapDuring := rssKB(t), heapKB()
	eventually(t, 60*time.Second, "the streams that do not read are closed", func() bool { return a.OpenStreams() == 0 })
	var after, heapAfter int
	eventually(t, 30*time.Second, "the streams' memory is returned", func() bool {
		after, heapAfter = rssKB(t), heapKB()
		// The race detector's shadow memory is not returned: the resident
		// set is judged without it, the Go heap always.
		return heapAfter-heapBefore < (heapDuring-heapBefore)/2 && (raceEnabled || after-before < (during-before)/2)
	})
	t.Logf("RSS before %d KiB, with %d streams %d KiB, after they closed %d KiB (Go heap in use %d, %d, %d KiB)", before, streams, during, after, heapBefore, heapDuring, heapAfter)
	rel, err := a.Store().Releases(context.Background(), "demo", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(rel) != streams+1 {
		t.Errorf("%d audit rows, want %d (one per stream, the probe's included)", len(rel), streams+1)
	}
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	wait := 10 * time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting until %s", timeout, what)
		}
		time.Sleep(wait)
		wait = min(wait*2, 250*time.Millisecond)
	}
}
