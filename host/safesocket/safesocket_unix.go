//go:build !windows

package safesocket

import (
	"context"
	"fmt"
	"net"
	"os"
)

// Listen listens on a Unix socket at path with mode 0600, replacing a stale
// socket file left by a process that died. The caller must hold the agent
// lock, so a live socket is never replaced.
func Listen(path string) (net.Listener, error) {
	return ListenRefusing(path, nil)
}

// ListenRefusing is Listen with refuse called (in its own goroutine) for
// each connection from another user, to answer it with a refusal in the
// socket's own protocol; refuse must close the connection. With refuse nil
// such connections are closed unanswered.
func ListenRefusing(path string, refuse func(c net.Conn, peer Cred)) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("listen %s: a file that is not a socket is in the way", path)
		}
		os.Remove(path)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("chmod %s: %w", path, err)
	}
	return &sameUserListener{Listener: l, refuse: refuse}, nil
}

// Connect dials the socket at path.
func Connect(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	if _, ok := ctx.Deadline(); !ok {
		d.Timeout = dialTimeout
	}
	return d.DialContext(ctx, "unix", path)
}
