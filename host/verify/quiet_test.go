package verify

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/taxonomy"
)

// hostRecorder plays the network for a browser whose every host name
// resolves to it (a loopback DNS: --host-resolver-rules=MAP * to its
// port): it records the host of every connection, from the Host header of
// plain HTTP or the server name of a TLS hello, serves the connector's site
// from site, and refuses every other host.
type hostRecorder struct {
	ln    net.Listener
	mu    sync.Mutex
	hosts map[string]int
	own   string // the connector's host
	conns chan net.Conn
}

func newHostRecorder(t *testing.T, site *url.URL, own string) *hostRecorder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hostRecorder{ln: ln, hosts: map[string]int{}, own: own, conns: make(chan net.Conn)}
	rp := httputil.NewSingleHostReverseProxy(site)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		h.saw(host)
		if host != h.own {
			http.Error(w, "not this host", http.StatusForbidden)
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(chanListener{h})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(h.conns)
				return
			}
			go h.sniff(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); srv.Close() })
	return h
}

func (h *hostRecorder) saw(host string) {
	h.mu.Lock()
	h.hosts[host]++
	h.mu.Unlock()
}

// sniff records a TLS connection's server name and closes it, or hands a
// plain HTTP one to the server.
func (h *hostRecorder) sniff(c net.Conn) {
	br := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	first, err := br.Peek(1)
	c.SetReadDeadline(time.Time{})
	if err != nil {
		c.Close()
		return
	}
	pc := &peekedConn{Conn: c, r: br}
	if first[0] != 0x16 {
		h.conns <- pc
		return
	}
	defer c.Close()
	tls.Server(pc, &tls.Config{GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		h.saw(hello.ServerName)
		return nil, errors.New("not serving TLS")
	}}).Handshake()
}

func (h *hostRecorder) others() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for host := range h.hosts {
		if host != h.own {
			out = append(out, host)
		}
	}
	sort.Strings(out)
	return out
}

type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (p *peekedConn) Read(b []byte) (int, error) { return p.r.Read(b) }

type chanListener struct{ h *hostRecorder }

func (l chanListener) Accept() (net.Conn, error) {
	c, ok := <-l.h.conns
	if !ok {
		return nil, net.ErrClosed
	}
	return c, nil
}
func (l chanListener) Close() error   { return nil }
func (l chanListener) Addr() net.Addr { return l.h.ln.Addr() }

// TestBrowserProbeContactsOnlyTheConnector runs browser probes with every
// host name resolving to a loopback recorder: the connector's host is the
// only one the browser contacts, whatever it would do on its own
// (component updates, account listing, connectivity checks...).
func TestBrowserProbeContactsOnlyTheConnector(t *testing.T) {
	execPath := chromiumPath(t)
	srv := httptest.NewServer(http.HandlerFunc(scriptSite))
	defer srv.Close()
	site, _ := url.Parse(srv.URL)
	rec := newHostRecorder(t, site, "demo.test")
	_, port, _ := net.SplitHostPort(rec.ln.Addr().String())

	def := demoDef("http://demo.test:" + port + "/app")
	def.Verify.Browser = true
	opts := Options{
		Timeout: 30 * time.Second,
		Browser: BrowserOptions{ExecPath: execPath, NoSandbox: true, Flags: map[string]any{
			"host-resolver-rules": "MAP * 127.0.0.1:" + port,
		}},
	}
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		r, err := Verify(ctx, def, []apitype.Cookie{sidCookie(".demo.test", false)}, opts)
		cancel()
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if r.Result.Code != taxonomy.OK {
			t.Fatalf("probe %d: %v/%v, want ok (evidence %+v)", i, r.Result.Code, r.Result.Detail, r.Evidence)
		}
	}
	rec.mu.Lock()
	t.Logf("hosts contacted: %v", rec.hosts)
	rec.mu.Unlock()
	if others := rec.others(); len(others) != 0 {
		t.Errorf("the verify browser contacted %v, want only %s", others, rec.own)
	}
}
