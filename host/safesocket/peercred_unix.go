//go:build linux || darwin

package safesocket

import (
	"fmt"
	"net"
)

// peerCred runs get on the file descriptor of c, a Unix socket: the part
// of PeerCred every OS shares.
func peerCred(c net.Conn, get func(fd int) (Cred, error)) (Cred, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Cred{}, fmt.Errorf("peer credentials: not a unix socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Cred{}, err
	}
	var cred Cred
	var gerr error
	if err := raw.Control(func(fd uintptr) { cred, gerr = get(int(fd)) }); err != nil {
		return Cred{}, err
	}
	return cred, gerr
}
