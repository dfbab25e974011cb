//go:build !windows

package relay

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/nativemsg"
	"github.com/authbridge/authbridge/host/safesocket"
)

// TestStdinEOFWithAnAgentThatStopsReading is issue 14 item 4's relay side:
// with an agent that stopped reading, the relay's frames backed up, its
// stdin reader blocked, and it never saw the browser close the port.
func TestStdinEOFWithAnAgentThatStopsReading(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "bridge.sock")
	l, err := safesocket.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			// Read the bridge.hello, then never read again.
			nativemsg.NewReader(c, 0).ReadFrame()
			defer c.Close()
		}
	}()

	origin := "chrome-extension://abc/"
	stdin, feed := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), Config{Origin: origin, Allowed: []string{origin}, BridgeSocket: sock,
			AgentWriteTimeout: 100 * time.Millisecond}, stdin, io.Discard)
	}()
	frame, _ := json.Marshal(map[string]any{"id": "e1", "type": "result", "result": map[string]string{"pad": strings.Repeat("x", 60<<10)}})
	w := nativemsg.NewWriter(feed, nativemsg.MaxInbound)
	go func() {
		// Far more than the relay's queue and the socket's buffer hold.
		for range 120 {
			if w.WriteFrame(frame) != nil {
				return
			}
		}
		feed.Close()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("relay ended with %v, want a clean end on stdin EOF", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the relay did not end 60s after stdin closed behind an agent that stopped reading")
	}
}
