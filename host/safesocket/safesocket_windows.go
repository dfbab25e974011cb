package safesocket

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// pipeBufferSize is each direction's buffer of a pipe instance.
const pipeBufferSize = 64 << 10

// Listen listens on the named pipe path (\\.\pipe\...), which only the
// current user may open: its DACL grants that user's SID full access and
// nobody else anything. The pipe disappears with the process, so there is
// no stale file to replace; a pipe of the same name held by another process
// makes Listen fail.
func Listen(path string) (net.Listener, error) {
	return ListenRefusing(path, nil)
}

// ListenRefusing is Listen; refuse is kept for the API's sake and is never
// called on Windows: the DACL turns other users away before they connect.
func ListenRefusing(path string, refuse func(c net.Conn, peer Cred)) (net.Listener, error) {
	if !IsPipe(path) {
		return nil, fmt.Errorf("listen %s: not a named pipe path (\\\\.\\pipe\\...)", path)
	}
	sd, err := userOnlySDDL()
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	l, err := listenPipe(path, sd)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	return &sameUserListener{Listener: l, refuse: refuse}, nil
}

// userOnlySDDL is the security descriptor of the pipes: protected DACL, one
// entry granting the current user generic all.
func userOnlySDDL() (string, error) {
	tu, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "", fmt.Errorf("current user: %w", err)
	}
	sid := tu.User.Sid.String()
	return "O:" + sid + "D:P(A;;GA;;;" + sid + ")", nil
}

// Connect dials the named pipe path.
func Connect(ctx context.Context, path string) (net.Conn, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, dialTimeout)
		defer cancel()
	}
	c, err := winio.DialPipeContext(ctx, path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
			return nil, &net.OpError{Op: "dial", Net: "pipe", Err: fmt.Errorf("%s: %w", path, os.ErrNotExist)}
		}
		return nil, &net.OpError{Op: "dial", Net: "pipe", Err: fmt.Errorf("%s: %w", path, err)}
	}
	return c, nil
}

// IsPipe reports whether path names a local named pipe.
func IsPipe(path string) bool {
	return strings.HasPrefix(strings.ToLower(path), `\\.\pipe\`)
}
