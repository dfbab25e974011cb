//go:build !windows

package chromeprofile

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/authbridge/authbridge/internal/testtmp"
)

// TestWaitFree holds a profile with a SingletonLock naming a live process,
// and sees WaitFree return once the lock is removed, and once the process
// that a second lock names has died (a killed browser leaves its lock).
func TestWaitFree(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		release func(lock string, p *os.Process)
	}{
		{"lock removed", func(lock string, p *os.Process) { os.Remove(lock) }},
		{"holder killed", func(lock string, p *os.Process) { p.Kill(); p.Wait() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testtmp.Dir(t)
			holder := exec.Command("sleep", "60")
			if err := holder.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { holder.Process.Kill(); holder.Wait() }()
			lock := filepath.Join(dir, "SingletonLock")
			if err := os.Symlink(fmt.Sprintf("%s-%d", host, holder.Process.Pid), lock); err != nil {
				t.Fatal(err)
			}
			if busy, _ := profileInUse(dir); !busy {
				t.Fatal("a lock naming a live process is not taken as in use")
			}
			w := &ProfileWriter{}
			done := make(chan error, 1)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			go func() { done <- w.WaitFree(ctx, dir) }()
			select {
			case err := <-done:
				t.Fatalf("WaitFree returned %v while the profile was held", err)
			case <-time.After(300 * time.Millisecond):
			}
			tt.release(lock, holder.Process)
			if err := <-done; err != nil {
				t.Errorf("WaitFree = %v after the profile was freed", err)
			}
		})
	}
}
