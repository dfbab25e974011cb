package safesocket

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/windows"
)

// PeerCred returns the process id of the client of an accepted pipe
// connection (GetNamedPipeClientProcessId). UID is os.Getuid() (-1 on
// Windows): the pipe's DACL admits the current user only, so every client is
// that user.
func PeerCred(c net.Conn) (Cred, error) {
	f, ok := c.(interface{ Fd() uintptr })
	if !ok {
		return Cred{}, fmt.Errorf("peer credentials: not a named pipe")
	}
	var pid uint32
	if err := windows.GetNamedPipeClientProcessId(windows.Handle(f.Fd()), &pid); err != nil {
		return Cred{}, fmt.Errorf("peer credentials: %w", err)
	}
	return Cred{UID: os.Getuid(), PID: int(pid)}, nil
}
