package chromeprofile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/internal/testtmp"
)

func TestProfileWriterRefuses(t *testing.T) {
	w := &ProfileWriter{ExecPath: "/nonexistent/chromium"}
	dir := testtmp.Dir(t)
	out := []apitype.Cookie{{Name: "x", Domain: "evil.test", Path: "/"}}
	if err := w.Replace(t.Context(), dir, []string{"demo.test"}, out); err == nil {
		t.Error("Replace accepted a cookie outside the domains")
	}
	if runtime.GOOS == "windows" {
		return
	}
	host, _ := os.Hostname()
	if err := os.Symlink(fmt.Sprintf("%s-%d", host, os.Getpid()), filepath.Join(dir, "SingletonLock")); err != nil {
		t.Fatal(err)
	}
	err := w.Replace(t.Context(), dir, []string{"demo.test"}, nil)
	if !errors.Is(err, ErrProfileInUse) {
		t.Fatalf("Replace(in use) = %v, want ErrProfileInUse", err)
	}
	t.Log(err)
}
