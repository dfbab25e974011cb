package safesocket

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// PeerCred returns the uid and pid of the process on the other end of c.
func PeerCred(c net.Conn) (Cred, error) {
	return peerCred(c, func(fd int) (Cred, error) {
		u, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
		if err != nil {
			return Cred{}, fmt.Errorf("SO_PEERCRED: %w", err)
		}
		return Cred{UID: int(u.Uid), PID: int(u.Pid)}, nil
	})
}
