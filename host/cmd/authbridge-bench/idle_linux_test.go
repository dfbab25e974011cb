package main

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestBrowserIdle: a process tree where two processes spin is not idle within the limit
// and its ticks grow; once only a sleeping process is left, it is idle.
func TestBrowserIdle(t *testing.T) {
	spin := exec.Command("sh", "-c", "sleep 30 & (while :; do :; done) & while :; do :; done")
	spin.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // to end the whole tree
	if err := spin.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { syscall.Kill(-spin.Process.Pid, syscall.SIGKILL); spin.Wait() }()
	before := treeTicks(spin.Process.Pid)
	if _, idle := browserIdle(spin.Process.Pid, 600*time.Millisecond); idle {
		t.Errorf("a spinning process tree was reported idle")
	}
	if after := treeTicks(spin.Process.Pid); after-before < 5 {
		t.Errorf("two processes spinning for 600 ms used %d ticks, want at least 5", after-before)
	}

	if _, idle := browserIdle(0, 5*time.Second); idle {
		t.Errorf("no process (pid 0) was reported idle")
	}

	quiet := exec.Command("sleep", "30")
	if err := quiet.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { quiet.Process.Kill(); quiet.Wait() }()
	if waited, idle := browserIdle(quiet.Process.Pid, 5*time.Second); !idle {
		t.Errorf("a sleeping process was not idle after %v", waited)
	}
}
