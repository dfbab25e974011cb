package localapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/safesocket"
)

// TestSlowBodyIsCut is issue 14 item 7: a body sent a byte at a time used
// to hold its request (and the agent's idle clock) open for ever. The
// grace here is short so that the test is quick; the rule is the same.
func TestSlowBodyIsCut(t *testing.T) {
	var inFlight atomic.Int32
	s := New(Config{Catalog: fakeCatalog{}, Sessions: fakeSessions{}, Bridges: fakeBridges{}, BodyGrace: 500 * time.Millisecond,
		Busy: func() func() { inFlight.Add(1); return func() { inFlight.Add(-1) } },
		Extra: map[string]HandlerFunc{"POST /v1/echo": func(ctx context.Context, r *http.Request) (any, error) {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				return nil, err
			}
			return map[string]int{"bytes": len(b)}, nil
		}},
	})
	sock := filepath.Join(t.TempDir(), "api.sock")
	l, err := safesocket.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	shutdown := s.Serve(l)
	t.Cleanup(func() { shutdown(context.Background()) })

	// A large body sent at socket speed is read whole.
	big := strings.Repeat("x", 8<<20)
	c := http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return net.Dial("unix", sock)
	}}}
	resp, err := c.Post("http://authbridge/v1/echo", "text/plain", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]int
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if resp.StatusCode != 200 || got["bytes"] != len(big) {
		t.Fatalf("a fast 8 MiB body: %d %v, want 200 and every byte", resp.StatusCode, got)
	}

	for _, path := range []string{"/v1/echo", "/v1/connectors/demo/verify"} {
		t.Run(path, func(t *testing.T) {
			conn, err := net.Dial("unix", sock)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: authbridge\r\nContent-Length: 1000\r\n\r\n", path)
			answered := make(chan *http.Response, 1)
			go func() {
				r, _ := http.ReadResponse(bufio.NewReader(conn), nil)
				answered <- r
			}()
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			deadline := time.After(20 * time.Second)
			for {
				select {
				case r := <-answered:
					if r == nil {
						t.Fatalf("the trickled request was cut without an answer")
					}
					var eb apitype.ErrorBody
					json.NewDecoder(r.Body).Decode(&eb)
					if r.StatusCode != http.StatusRequestTimeout || eb.Error == nil || eb.Error.Code != apitype.CodeTimeout || !strings.Contains(eb.Error.Message, "too slowly") {
						t.Errorf("trickled body answered %d %+v, want 408 timeout saying too slowly", r.StatusCode, eb.Error)
					}
					eventually(t, func() bool { return inFlight.Load() == 0 })
					return
				case <-tick.C:
					conn.Write([]byte("x")) // a byte every 100 ms, until cut
				case <-deadline:
					t.Fatalf("a body trickled a byte every 100 ms is still being read after 20s")
				}
			}
		})
	}
}

func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("the request is still counted in flight")
}
