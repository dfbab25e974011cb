//go:build linux || darwin

package procinfo

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func TestDescribeNamesAChildProcess(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	want, _ := exec.LookPath("sleep")
	want, _ = filepath.EvalSymlinks(want)
	// Right after the fork the child is still this program until it execs.
	var p Process
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if p = Describe(cmd.Process.Pid); p.Cmdline == "sleep 30" {
			break
		}
	}
	if filepath.Base(p.Executable) != filepath.Base(want) {
		t.Errorf("Describe(sleep).Executable = %q, want %q", p.Executable, want)
	}
	if p.Cmdline != "sleep 30" {
		t.Errorf("Describe(sleep).Cmdline = %q, want %q", p.Cmdline, "sleep 30")
	}
	self := Describe(os.Getpid())
	if self.Executable == "" {
		t.Error("Describe(own pid) has no executable")
	}
	if got := Describe(0); got != (Process{}) {
		t.Errorf("Describe(0) = %+v, want nothing", got)
	}
}
