package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/localapi"
	"github.com/authbridge/authbridge/host/nativemsg"
	"github.com/authbridge/authbridge/host/paths"
	"github.com/authbridge/authbridge/host/safesocket"
	"github.com/authbridge/authbridge/host/session"
	"github.com/authbridge/authbridge/host/store"
	"github.com/authbridge/authbridge/taxonomy"
)

func testPaths(t *testing.T) paths.Paths {
	t.Helper()
	home := t.TempDir()
	p, err := paths.Resolve(paths.WithHome(home, nil))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startAgent serves the metrics routes on the API socket with the real
// local API server and state database, as the agent does.
func startAgent(t *testing.T, p paths.Paths) (*Recorder, func()) {
	t.Helper()
	ctx := context.Background()
	if err := p.EnsureDirs(); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, p.StateDB)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := OpenRecorder(ctx, p.EventsDB, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := safesocket.Listen(p.APISocket)
	if err != nil {
		t.Fatal(err)
	}
	shutdown := localapi.New(localapi.Config{Extra: Routes(rec)}).Serve(l)
	var once sync.Once
	stop := func() {
		once.Do(func() {
			shutdown(ctx)
			l.Close()
			rec.Close()
			st.Close()
		})
	}
	t.Cleanup(stop)
	return rec, stop
}

// call sends a raw body to the API socket.
func call(t *testing.T, socket, method, path string, body []byte) (int, []byte) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return safesocket.Connect(ctx, socket)
	}}}
	defer hc.CloseIdleConnections()
	req, _ := http.NewRequest(method, "http://authbridge"+path, bytes.NewReader(body))
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func linesOf(events []Event) []byte {
	var b bytes.Buffer
	WriteNDJSON(&b, events)
	return b.Bytes()
}

// TestAgentDurable posts through the real API server, stops it, and finds every
// event in the database file opened afresh.
func TestAgentDurable(t *testing.T) {
	p := testPaths(t)
	_, stop := startAgent(t, p)
	events, _ := storyLog()
	status, body := call(t, p.APISocket, "POST", "/v1/events", linesOf(events))
	if status != 200 {
		t.Fatalf("POST /v1/events = %d %s", status, body)
	}
	var st Stored
	json.Unmarshal(body, &st)
	if st.Accepted != len(events) || st.Duplicates != 0 {
		t.Errorf("answer %+v, want %d accepted", st, len(events))
	}
	// The same batch again: all duplicates.
	_, body = call(t, p.APISocket, "POST", "/v1/events", linesOf(events))
	json.Unmarshal(body, &st)
	if st.Duplicates != len(events) {
		t.Errorf("second POST: %+v, want %d duplicates", st, len(events))
	}
	// A batch with one bad line is refused whole.
	bad := append(linesOf([]Event{ev("shop", runR1, TypeRunStarted, 999)}), []byte(`{"type":"run_started","connector_id":"shop","run_id":""}`+"\n")...)
	status, body = call(t, p.APISocket, "POST", "/v1/events", bad)
	if status != 400 || !strings.Contains(string(body), "line 2: run_id") || !strings.Contains(string(body), `"code": "bad_request"`) {
		t.Errorf("bad batch = %d %s; want 400 bad_request naming line 2 run_id", status, body)
	}
	status, body = call(t, p.APISocket, "GET", "/v1/report?since=bogus", nil)
	if status != 400 {
		t.Errorf("GET /v1/report?since=bogus = %d %s, want 400", status, body)
	}
	status, body = call(t, p.APISocket, "GET", "/v1/report", nil)
	var rep Report
	if err := json.Unmarshal(body, &rep); status != 200 || err != nil || rep.Overall.Events != len(events) {
		t.Errorf("GET /v1/report = %d %v: %d events, want %d", status, err, rep.Overall.Events, len(events))
	}
	stop()

	rec2, err := OpenRecorder(context.Background(), p.EventsDB, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rec2.Close()
	n, err := rec2.Count(context.Background())
	if err != nil || n != len(events) {
		t.Errorf("reopened database holds %d events (%v), want %d", n, err, len(events))
	}
}

// TestExportPages reads the export through the API in small pages and
// gets every event once, equal to what was sent.
func TestExportPages(t *testing.T) {
	p := testPaths(t)
	startAgent(t, p)
	events, _ := storyLog()
	if status, body := call(t, p.APISocket, "POST", "/v1/events", linesOf(events)); status != 200 {
		t.Fatalf("POST = %d %s", status, body)
	}
	sent := map[string]string{}
	for _, e := range events {
		b, _ := json.Marshal(e)
		sent[e.EventID] = string(b)
	}
	got := 0
	after := ""
	for pages := 0; ; pages++ {
		status, body := call(t, p.APISocket, "GET", "/v1/events/export?limit=7&after="+after, nil)
		if status != 200 {
			t.Fatalf("export = %d %s", status, body)
		}
		var pg Page
		if err := json.Unmarshal(body, &pg); err != nil {
			t.Fatal(err)
		}
		for _, e := range pg.Events {
			b, _ := json.Marshal(e)
			if sent[e.EventID] != string(b) {
				t.Errorf("exported %s\nsent     %s", b, sent[e.EventID])
			}
			delete(sent, e.EventID)
			got++
		}
		if pg.Next == "" {
			break
		}
		after = pg.Next
	}
	if got != len(events) || len(sent) != 0 {
		t.Errorf("exported %d events, %d never; want %d", got, len(sent), len(events))
	}
	if status, _ := call(t, p.APISocket, "GET", "/v1/events/export?after=!!", nil); status != 400 {
		t.Errorf("bad cursor = %d, want 400", status)
	}
}

// TestOnOutcome records the host's actions with the fields of the mapping.
func TestOnOutcome(t *testing.T) {
	rec := newTestRecorder(t)
	ctx := context.Background()
	run := "6f1c1f0e-5d0a-4b7e-9a57-0c1d2e3f4a5b"
	at := t0.Add(time.Minute)
	bad := taxonomy.NewResult(taxonomy.SessionExpired, taxonomy.DetailLoginRedirect, 0, nil, "Shop")
	ok := taxonomy.NewResult(taxonomy.OK, taxonomy.DetailLoggedIn, 0, nil, "Shop")
	rec.OnOutcome(ctx, session.Outcome{Connector: "shop", Action: "verify", RunID: run, Result: bad, At: at})
	rec.OnOutcome(ctx, session.Outcome{Connector: "shop", Action: session.RecoveryInteractiveRepair, RunID: run, Result: ok, At: at.Add(time.Second)})
	rec.OnOutcome(ctx, session.Outcome{Connector: "shop", Action: session.RecoveryAutoRepair, Result: bad, At: at.Add(2 * time.Second)})
	rec.OnOutcome(ctx, session.Outcome{Connector: "shop", Action: session.RecoveryClearSession, RunID: "not-a-uuid", At: at.Add(3 * time.Second)})
	var buf bytes.Buffer
	if err := rec.Export(ctx, &buf, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d events recorded, want 4:\n%s", len(lines), buf.String())
	}
	var got []Event
	for _, l := range lines {
		var e Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	check := func(i int, typ, reason, action, mode string, success *bool, sameRun bool) {
		t.Helper()
		e := got[i]
		if e.Type != typ || e.AuthFailureReason != reason || e.RecoveryAction != action || e.AuthModeUsed != mode || e.Source != SourceHost {
			t.Errorf("event %d = %s", i, lines[i])
		}
		if (success == nil) != (e.RecoverySuccess == nil) || (success != nil && *success != *e.RecoverySuccess) {
			t.Errorf("event %d recovery_success = %v, want %v", i, e.RecoverySuccess, success)
		}
		if (e.RunID == run) != sameRun {
			t.Errorf("event %d run_id = %s; tied to the app's run: %v", i, e.RunID, sameRun)
		}
	}
	yes, no := true, false
	check(0, TypeAuthChecked, "SESSION_EXPIRED", ActionNone, "", nil, true)
	check(1, TypeRecoveryAttempted, "", ActionInteractiveRepair, ModeInteractiveRequired, &yes, true)
	check(2, TypeRecoveryAttempted, "SESSION_EXPIRED", ActionAutoRepair, ModeHeadlessOnly, &no, false)
	check(3, TypeSessionCleared, "", ActionClearSession, "", nil, false)
}

// TestSIGKILLAfter2xx starts the real binary, kills it with SIGKILL right
// after 2xx answers to event batches and cookie requests, and finds every
// event and every cookie release's audit row on disk.
func TestSIGKILLAfter2xx(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped under testing.Short: this test builds the authbridge binary")
	}
	bin := filepath.Join(t.TempDir(), "authbridge")
	build := exec.Command("go", "build", "-o", bin, "github.com/authbridge/authbridge/host/cmd/authbridge")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	p := testPaths(t)
	// A connector for the cookie requests, whose audit rows must survive too.
	if err := os.MkdirAll(p.ConnectorsDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.ConnectorsDir, "shop.json"), []byte(`{"id":"shop","name":"Shop","domains":["shop.test"],"auth_cookies":["sid"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--foreground")
	cmd.Env = append(os.Environ(), "AUTHBRIDGE_HOME="+p.Home)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// The agent opens its two sockets one after the other: wait for both.
	deadline := time.Now().Add(20 * time.Second)
	for _, sock := range []string{p.APISocket, p.BridgeSocket} {
		for {
			conn, err := safesocket.Connect(context.Background(), sock)
			if err == nil {
				conn.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("agent did not listen on %s: %v\n%s", sock, err, logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// The built-in extension's origin (cli.ExtensionID) is allowed.
	fakeBrowser(t, p, "chrome-extension://ldpickkggldlkffgckonbokbiinckjpp/")
	var all []Event
	releases := 0
	for round := range 5 {
		var batch []Event
		for i := range 2000 {
			e := Event{EventID: newID(), Type: TypeRunStarted, At: t0.Add(time.Duration(i) * time.Millisecond),
				ConnectorID: fmt.Sprintf("site-%d", round), RunID: newID(), Source: SourceApp}
			batch = append(batch, e)
		}
		status, body := call(t, p.APISocket, "POST", "/v1/events", linesOf(batch))
		if status != 200 {
			t.Fatalf("POST = %d %s\n%s", status, body, logs.String())
		}
		all = append(all, batch...)
		for range 3 {
			if status, body := call(t, p.APISocket, "GET", "/v1/connectors/shop/cookies", nil); status != 200 {
				t.Fatalf("cookies = %d %s\n%s", status, body, logs.String())
			}
			releases++
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	rec, err := OpenRecorder(context.Background(), p.EventsDB, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	n, err := rec.Count(context.Background())
	if err != nil || n != len(all) {
		t.Fatalf("after SIGKILL the database holds %d events (%v), want %d", n, err, len(all))
	}
	st, err := store.Open(context.Background(), p.StateDB)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if rs, err := st.Releases(context.Background(), "shop", 1000); err != nil || len(rs) != releases {
		t.Errorf("after SIGKILL the state database holds %d audit rows (%v), want %d", len(rs), err, releases)
	}
}

// fakeBrowser is a bridge speaking for a browser holding one cookie of
// shop.test: it answers cookies.get with it and every other request with
// {}. It is the relay's side of the bridge socket, no more.
func fakeBrowser(t *testing.T, p paths.Paths, origin string) {
	t.Helper()
	conn, err := safesocket.Connect(context.Background(), p.BridgeSocket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	w := nativemsg.NewWriter(conn, nativemsg.MaxInbound)
	if err := w.WriteMessage(map[string]any{"type": "bridge.hello", "origin": origin, "relay_pid": os.Getpid(), "protocol": 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteMessage(map[string]any{"id": "e1", "type": "hello", "extension_id": "test", "version": "0"}); err != nil {
		t.Fatal(err)
	}
	go func() {
		rd := nativemsg.NewReader(conn, nativemsg.MaxOutbound)
		for {
			raw, err := rd.ReadMessage()
			if err != nil {
				return
			}
			var m struct {
				ID   string `json:"id"`
				Type string `json:"type"`
			}
			if json.Unmarshal(raw, &m) != nil || m.ID == "" || m.Type == "result" || m.Type == "error" {
				continue
			}
			result := any(map[string]any{})
			if m.Type == "cookies.get" {
				result = map[string]any{"cookies": []map[string]any{{"name": "sid", "value": "s3cr3t-test-value", "domain": "shop.test",
					"path": "/", "hostOnly": true, "secure": false, "httpOnly": true, "sameSite": "lax", "session": true, "storeId": "0"}}}
			}
			w.WriteMessage(map[string]any{"id": m.ID, "type": "result", "result": result})
		}
	}()
}

// TestCookiesDoNotWaitOnIngest holds an event batch's write transaction
// open (as a 400,000-event batch does for seconds) and meanwhile writes the
// audit rows a cookie release writes, in the state database as the agent
// does: every write succeeds while the batch is still open. When events
// shared the state database, each waited for the busy timeout and failed
// with "database is locked". (make bench measures real cookie requests
// through the agent during a 400,000-event batch.)
func TestCookiesDoNotWaitOnIngest(t *testing.T) {
	p := testPaths(t)
	rec, _ := startAgent(t, p)
	ctx := context.Background()
	st, err := store.Open(ctx, p.StateDB)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	inBatch, release := make(chan struct{}), make(chan struct{})
	rec.inTx = func() {
		close(inBatch)
		<-release
	}
	batchDone := make(chan int, 1)
	go func() {
		var batch []Event
		for i := range 1000 {
			batch = append(batch, Event{EventID: newID(), Type: TypeRunStarted, At: t0.Add(time.Duration(i) * time.Millisecond),
				ConnectorID: "shop", RunID: fmt.Sprintf("shop-%d", i), Source: SourceApp})
		}
		status, _ := call(t, p.APISocket, "POST", "/v1/events", linesOf(batch))
		batchDone <- status
	}()
	<-inBatch
	const requests = 20
	for i := range requests {
		if err := st.RecordRelease(ctx, store.Release{At: time.Now(), ConnectorID: "shop", Count: 1, Format: "playwright", Via: "api"}); err != nil {
			close(release)
			t.Fatalf("audit row %d during the batch: %v", i+1, err)
		}
	}
	select {
	case <-batchDone:
		t.Fatal("the batch ended before the audit rows; the test did not hold it open")
	default:
	}
	close(release)
	if status := <-batchDone; status != 200 {
		t.Errorf("the batch = %d, want 200", status)
	}
	rs, err := st.Releases(ctx, "shop", 100)
	if err != nil || len(rs) != requests {
		t.Errorf("%d audit rows (%v), want %d", len(rs), err, requests)
	}
}

// TestRefusalThroughTheAPIIsBounded posts 200,000 invalid lines: the
// answer is a 400 listing the first 100 problems and counting the rest,
// far under 1 MB (it was 19 MB, every problem listed).
func TestRefusalThroughTheAPIIsBounded(t *testing.T) {
	p := testPaths(t)
	startAgent(t, p)
	body := bytes.Repeat([]byte("{}\n"), 200000)
	status, answer := call(t, p.APISocket, "POST", "/v1/events", body)
	if status != 400 {
		t.Fatalf("POST = %d, want 400", status)
	}
	if len(answer) > 64<<10 {
		t.Errorf("the answer is %d bytes, want at most 64 KiB", len(answer))
	}
	for _, want := range []string{"200000 of 200000 events are invalid", "line 1: type: missing", "more problems (only the first 100 are listed)"} {
		if !strings.Contains(string(answer), want) {
			t.Errorf("the answer lacks %q:\n%.400s", want, answer)
		}
	}
}
