package safesocket

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestOtherUserIsRefused opens the socket to everyone and connects as
// nobody: the peer-credential check must close the connection unanswered.
// Switching users needs root, which CI has.
func TestOtherUserIsRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Log("not root: cannot connect as another user here; covered in CI, which runs as root")
		return
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatalf("curl is needed to connect as another user: %v", err)
	}
	dir, err := os.MkdirTemp("", "ss")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	path := filepath.Join(dir, "api.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	os.Chmod(path, 0o666) // open the file: only the uid check stands in the way
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("secret answer")) })}
	go srv.Serve(l)
	defer srv.Close()

	as := func(uid uint32) (string, error) {
		cmd := exec.Command(curl, "-s", "--max-time", "5", "--unix-socket", path, "http://x/")
		if uid != 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		}
		out, err := cmd.Output()
		return string(out), err
	}
	if out, err := as(0); err != nil || out != "secret answer" {
		t.Fatalf("same user: %q, %v; want the answer", out, err)
	}
	out, err := as(65534)
	if strings.Contains(out, "secret") {
		t.Errorf("another user got an answer from the socket")
	}
	if err == nil {
		t.Errorf("another user's request succeeded, want the connection closed")
	}
}
