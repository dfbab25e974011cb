//go:build !windows

package firefox

import (
	"os/exec"
	"syscall"
)

// newProcessGroup starts Firefox in its own process group, so that Close
// can end its content processes with it.
func newProcessGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func killGroup(cmd *exec.Cmd) { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
