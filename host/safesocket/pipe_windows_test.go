package safesocket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// TestPipeSameUser listens on a named pipe, connects, and checks the
// accepted connection's peer is this process, and that bytes flow both ways.
func TestPipeSameUser(t *testing.T) {
	name := fmt.Sprintf(`\\.\pipe\authbridge-test-%d-%d`, os.Getpid(), time.Now().UnixNano())
	if _, err := Listen(`C:\not\a\pipe`); err == nil {
		t.Fatal("Listen on a file path = nil error, want one")
	}
	l, err := Listen(name)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type accepted struct {
		cred Cred
		msg  string
		err  error
	}
	done := make(chan accepted, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- accepted{err: err}
			return
		}
		defer c.Close()
		cred, _ := PeerOf(c)
		buf := make([]byte, 4)
		_, err = io.ReadFull(c, buf)
		if err == nil {
			_, err = c.Write([]byte("pong"))
		}
		done <- accepted{cred: cred, msg: string(buf), err: err}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Connect(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, 4)
	if _, err := io.ReadFull(c, reply); err != nil {
		t.Fatal(err)
	}
	a := <-done
	if a.err != nil {
		t.Fatal(a.err)
	}
	if a.msg != "ping" || string(reply) != "pong" {
		t.Errorf("exchange = %q / %q, want ping / pong", a.msg, reply)
	}
	if a.cred.PID != os.Getpid() {
		t.Errorf("peer pid = %d, want %d", a.cred.PID, os.Getpid())
	}
}

// TestConnectMissingPipe: nothing listening is os.ErrNotExist, which the
// clients read as "agent not running".
func TestConnectMissingPipe(t *testing.T) {
	_, err := Connect(context.Background(), `\\.\pipe\authbridge-test-nobody-here`)
	if err == nil || !errorsIsNotExist(err) {
		t.Fatalf("Connect to a missing pipe = %v, want os.ErrNotExist", err)
	}
}

func errorsIsNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }

// TestPipeListenerClose: Close ends a pending Accept with net.ErrClosed.
func TestPipeListenerClose(t *testing.T) {
	name := fmt.Sprintf(`\\.\pipe\authbridge-test-close-%d`, os.Getpid())
	l, err := Listen(name)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		done <- err
	}()
	l.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close = %v, want net.ErrClosed", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Accept still waiting 60s after Close")
	}
}
