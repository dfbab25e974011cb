package localapi

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/authbridge/authbridge/host/paths"
	"github.com/authbridge/authbridge/host/safesocket"
)

// ReadyFD is the file descriptor on which an agent started on demand says
// "ready" once its sockets listen.
const ReadyFD = 3

// StartAgent starts `authbridge serve` in the background unless one already
// answers, and returns once its sockets listen. A lock file serialises
// concurrent starts (a CLI and a relay may race after the agent died).
func StartAgent(ctx context.Context, p paths.Paths, exe string, idleExit time.Duration) error {
	if err := p.EnsureDirs(); err != nil {
		return err
	}
	unlock, err := lockFile(ctx, p.StartLock)
	if err != nil {
		return fmt.Errorf("start lock: %w", err)
	}
	defer unlock()
	if Alive(ctx, p.APISocket) && Alive(ctx, p.BridgeSocket) {
		return nil // someone else started it while we waited for the lock
	}
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("find own executable: %w", err)
		}
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	logf, err := os.OpenFile(filepath.Join(p.LogDir, "agent.stderr"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		pw.Close()
		return err
	}
	defer logf.Close()
	cmd := exec.Command(exe, "serve", "--foreground", "--idle-exit", idleExit.String(), "--ready-fd", fmt.Sprint(ReadyFD))
	cmd.Env = os.Environ()
	if p.HomeExplicit {
		// Only then: a home set this way also moves the sockets out of
		// $XDG_RUNTIME_DIR, where the clients of a default home look.
		cmd.Env = append(cmd.Env, "AUTHBRIDGE_HOME="+p.Home)
	}
	cmd.Stdin = nil
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.ExtraFiles = []*os.File{pw} // becomes fd 3
	detach(cmd)
	if err := cmd.Start(); err != nil {
		pw.Close()
		return fmt.Errorf("start agent: %w", err)
	}
	pw.Close()
	go cmd.Wait() // reap if it exits while we live
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(pr).ReadString('\n')
		ch <- result{line, err}
	}()
	select {
	case r := <-ch:
		if strings.TrimSpace(r.line) != "ready" {
			return fmt.Errorf("agent did not start (see %s): %v", filepath.Join(p.LogDir, "agent.stderr"), r.err)
		}
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("agent did not become ready within 10s (see %s)", filepath.Join(p.LogDir, "agent.stderr"))
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Alive reports whether something accepts connections on the socket.
func Alive(ctx context.Context, socket string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	c, err := safesocket.Connect(ctx, socket)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
