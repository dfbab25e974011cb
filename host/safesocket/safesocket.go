// Package safesocket listens on and connects to the agent's user-only
// sockets, and tells who is on the other end. On Linux and macOS they are
// Unix sockets (mode 0600 in a 0700 directory, peer credentials checked); on
// Windows they are named pipes whose DACL admits the current user only, with
// the client's process id from GetNamedPipeClientProcessId. The OS
// differences stay behind this API.
package safesocket

import (
	"errors"
	"net"
	"os"
	"time"
)

// dialTimeout bounds Connect when its context has no deadline.
const dialTimeout = 2 * time.Second

// Cred is the identity of a socket peer. PID is 0 where the OS does not say.
type Cred struct {
	UID int
	PID int
}

// ErrWrongUser is returned for a peer running as another user.
var ErrWrongUser = errors.New("peer is another user")

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
