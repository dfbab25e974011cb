package safesocket

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// PeerCred returns the uid and pid of the process on the other end of c.
func PeerCred(c net.Conn) (Cred, error) {
	return peerCred(c, func(fd int) (Cred, error) {
		xu, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
		if err != nil {
			return Cred{}, fmt.Errorf("LOCAL_PEERCRED: %w", err)
		}
		pid, _ := unix.GetsockoptInt(fd, unix.SOL_LOCAL, unix.LOCAL_PEERPID)
		return Cred{UID: int(xu.Uid), PID: pid}, nil
	})
}
