//go:build !linux && !darwin && !windows

package safesocket

import (
	"errors"
	"net"
)

// PeerCred is not available on this OS; the socket's directory, private to
// the user, is what keeps other users out.
func PeerCred(c net.Conn) (Cred, error) { return Cred{}, errors.ErrUnsupported }
