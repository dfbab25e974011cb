package localapi

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/safesocket"
)

// TestOtherUserGetsForbidden is issue 14 item 8: a connection from another
// uid used to be closed unanswered ("connection reset"); it gets the
// documented 403 JSON instead, and never the route's answer. Switching
// users needs root, which CI has.
func TestOtherUserGetsForbidden(t *testing.T) {
	if os.Getuid() != 0 {
		t.Log("not root: cannot connect as another user here; covered in CI, which runs as root")
		return
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatalf("curl is needed to connect as another user: %v", err)
	}
	dir, err := os.MkdirTemp("", "la")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	path := filepath.Join(dir, "api.sock")
	l, err := safesocket.ListenRefusing(path, RefuseOtherUser)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	os.Chmod(path, 0o666) // only the uid check stands in the way
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("secret answer")) })}
	go srv.Serve(l)
	defer srv.Close()

	for _, args := range [][]string{{"http://x/v1/status"}, {"-X", "POST", "--data-binary", "@-", "http://x/v1/events"}} {
		cmd := exec.Command(curl, append([]string{"-s", "--max-time", "10", "-w", "\n%{http_code}", "--unix-socket", path}, args...)...)
		cmd.Stdin = strings.NewReader(strings.Repeat("x", 200<<10))
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("curl as nobody %v: %v (%q); want a 403 answer, not a reset", args[len(args)-1], err, out)
		}
		body, code := string(out), ""
		if i := strings.LastIndex(body, "\n"); i >= 0 {
			body, code = body[:i], body[i+1:]
		}
		var eb apitype.ErrorBody
		if code != "403" || json.Unmarshal([]byte(body), &eb) != nil || eb.Error == nil || eb.Error.Code != apitype.CodeForbidden {
			t.Errorf("another user got %s %q, want 403 with code forbidden", code, body)
		}
		if strings.Contains(body, "secret") {
			t.Errorf("another user got the route's answer")
		}
	}
}
