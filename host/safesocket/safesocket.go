// Package safesocket listens on and connects to the agent's user-only Unix
// sockets, and tells who is on the other end. The OS differences (peer
// credentials on Linux and macOS, none on Windows) stay behind this API.
package safesocket

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// Cred is the identity of a socket peer. PID is 0 where the OS does not say.
type Cred struct {
	UID int
	PID int
}

// ErrWrongUser is returned for a peer running as another user.
var ErrWrongUser = errors.New("peer is another user")

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

// sameUserListener drops connections from other users before anyone reads
// from them.
type sameUserListener struct {
	net.Listener
	refuse func(net.Conn, Cred)
}

// Accept returns the next connection from the same user; connections from
// other users are closed and skipped.
func (l *sameUserListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		cred, err := PeerCred(c)
		if err != nil && !errors.Is(err, errors.ErrUnsupported) {
			c.Close()
			continue
		}
		if err == nil && cred.UID != os.Getuid() {
			if l.refuse != nil {
				go l.refuse(c, cred)
			} else {
				c.Close()
			}
			continue
		}
		return &CredConn{Conn: c, Cred: cred}, nil
	}
}

// CredConn is an accepted connection with its peer's credentials.
type CredConn struct {
	net.Conn
	Cred Cred
}

// PeerOf returns the credentials recorded for an accepted connection.
func PeerOf(c net.Conn) (Cred, bool) {
	if cc, ok := c.(*CredConn); ok {
		return cc.Cred, true
	}
	return Cred{}, false
}

// Connect dials the socket at path.
func Connect(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	if _, ok := ctx.Deadline(); !ok {
		d.Timeout = 2 * time.Second
	}
	return d.DialContext(ctx, "unix", path)
}
