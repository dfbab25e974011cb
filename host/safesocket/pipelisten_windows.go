package safesocket

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
	"unsafe"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// pipeListener accepts connections on a named pipe. It waits for each
// client with ConnectNamedPipe on an event (not the I/O completion port: a
// pending ConnectNamedPipe's completion never reaches the port under Wine),
// then hands the connected instance to go-winio for overlapped reads and
// writes. One instance is always waiting, so a client never finds the name
// missing between two accepts.
type pipeListener struct {
	name    string
	sa      *windows.SecurityAttributes
	closeEv windows.Handle // manual-reset, set by Close

	mu     sync.Mutex
	next   windows.Handle // the instance the next Accept waits on
	closed bool
}

// pipeAddr is the address of both ends of a pipe connection: its name.
type pipeAddr string

func (a pipeAddr) Network() string { return "pipe" }
func (a pipeAddr) String() string  { return string(a) }

func listenPipe(name, sddl string) (*pipeListener, error) {
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return nil, fmt.Errorf("security descriptor: %w", err)
	}
	sa := &windows.SecurityAttributes{Length: uint32(unsafe.Sizeof(windows.SecurityAttributes{})), SecurityDescriptor: sd}
	l := &pipeListener{name: name, sa: sa}
	l.next, err = l.instance(true)
	if err != nil {
		return nil, err
	}
	l.closeEv, err = windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		windows.CloseHandle(l.next)
		return nil, err
	}
	return l, nil
}

// instance creates one server end of the pipe; the first refuses a name
// that another process already serves.
func (l *pipeListener) instance(first bool) (windows.Handle, error) {
	name, err := windows.UTF16PtrFromString(l.name)
	if err != nil {
		return 0, err
	}
	flags := uint32(windows.PIPE_ACCESS_DUPLEX | windows.FILE_FLAG_OVERLAPPED)
	if first {
		flags |= windows.FILE_FLAG_FIRST_PIPE_INSTANCE
	}
	mode := uint32(windows.PIPE_TYPE_BYTE | windows.PIPE_READMODE_BYTE | windows.PIPE_WAIT | windows.PIPE_REJECT_REMOTE_CLIENTS)
	h, err := windows.CreateNamedPipe(name, flags, mode, windows.PIPE_UNLIMITED_INSTANCES, pipeBufferSize, pipeBufferSize, 0, l.sa)
	if err != nil {
		return 0, err
	}
	return h, nil
}

// Accept waits for the next client.
func (l *pipeListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	h := l.next
	l.next = 0
	closed := l.closed
	l.mu.Unlock()
	if closed {
		if h != 0 {
			windows.CloseHandle(h)
		}
		return nil, net.ErrClosed
	}
	if h == 0 {
		var err error
		if h, err = l.instance(false); err != nil {
			return nil, err
		}
	}
	if err := l.connect(h); err != nil {
		windows.CloseHandle(h)
		return nil, err
	}
	if nh, err := l.instance(false); err == nil {
		l.mu.Lock()
		if l.closed {
			windows.CloseHandle(nh)
		} else {
			l.next = nh
		}
		l.mu.Unlock()
	}
	f, err := winio.NewOpenFile(h)
	if err != nil {
		windows.CloseHandle(h)
		return nil, err
	}
	return &pipeConn{f: f.(pipeFile), h: h, addr: pipeAddr(l.name)}, nil
}

// connect waits until a client opens instance h, or the listener closes.
func (l *pipeListener) connect(h windows.Handle) error {
	ev, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return err
	}
	defer windows.CloseHandle(ev)
	ov := &windows.Overlapped{HEvent: ev} // on the heap: the kernel writes it until the wait ends
	err = windows.ConnectNamedPipe(h, ov)
	switch {
	case err == nil, errors.Is(err, windows.ERROR_PIPE_CONNECTED):
		return nil
	case !errors.Is(err, windows.ERROR_IO_PENDING):
		return fmt.Errorf("accept %s: %w", l.name, err)
	}
	which, err := windows.WaitForMultipleObjects([]windows.Handle{ev, l.closeEv}, false, windows.INFINITE)
	if err != nil {
		windows.CancelIoEx(h, ov)
	} else if which == windows.WAIT_OBJECT_0+1 {
		windows.CancelIoEx(h, ov)
	}
	var n uint32
	if gerr := windows.GetOverlappedResult(h, ov, &n, true); gerr != nil && !errors.Is(gerr, windows.ERROR_PIPE_CONNECTED) {
		if which == windows.WAIT_OBJECT_0+1 || errors.Is(gerr, windows.ERROR_OPERATION_ABORTED) {
			return net.ErrClosed
		}
		return fmt.Errorf("accept %s: %w", l.name, gerr)
	}
	if which == windows.WAIT_OBJECT_0+1 {
		return net.ErrClosed
	}
	return err
}

// Close stops Accept; connections already accepted stay open.
func (l *pipeListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	windows.SetEvent(l.closeEv)
	if l.next != 0 {
		windows.CloseHandle(l.next)
		l.next = 0
	}
	return nil
}

// Addr is the pipe's name.
func (l *pipeListener) Addr() net.Addr { return pipeAddr(l.name) }

// pipeFile is what go-winio's NewOpenFile returns for a pipe handle.
type pipeFile interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// pipeConn is an accepted pipe connection.
type pipeConn struct {
	f    pipeFile
	h    windows.Handle
	addr pipeAddr
}

func (c *pipeConn) Read(b []byte) (int, error) {
	n, err := c.f.Read(b)
	if errors.Is(err, windows.ERROR_BROKEN_PIPE) || errors.Is(err, windows.ERROR_PIPE_NOT_CONNECTED) {
		err = io.EOF
	}
	return n, err
}
func (c *pipeConn) Write(b []byte) (int, error)        { return c.f.Write(b) }
func (c *pipeConn) Close() error                       { return c.f.Close() }
func (c *pipeConn) LocalAddr() net.Addr                { return c.addr }
func (c *pipeConn) RemoteAddr() net.Addr               { return c.addr }
func (c *pipeConn) SetReadDeadline(t time.Time) error  { return c.f.SetReadDeadline(t) }
func (c *pipeConn) SetWriteDeadline(t time.Time) error { return c.f.SetWriteDeadline(t) }
func (c *pipeConn) SetDeadline(t time.Time) error {
	if err := c.f.SetReadDeadline(t); err != nil {
		return err
	}
	return c.f.SetWriteDeadline(t)
}

// Fd is the pipe instance's handle, for GetNamedPipeClientProcessId.
func (c *pipeConn) Fd() uintptr { return uintptr(c.h) }
