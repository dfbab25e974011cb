//go:build !windows

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// shop is an HTTPS test site under realistic names (shop.test and its
// subdomains, and an unrelated news.test), served on 127.0.0.1. It sets one
// cookie of every kind the bridge must carry exactly.
type shop struct {
	srv    *httptest.Server
	port   string
	caFile string // PEM of the CA that signed the site's certificate

	mu       sync.Mutex
	sessions map[string]string // sid -> user
	values   map[string]string // cookie name -> value it sets (secrets)
	lastSeen map[string]string // path -> last Cookie header received
}

// secretPrefix marks every cookie value the site sets, so tests can grep
// logs and files for leaks.
const secretPrefix = "SECRETVAL"

func newShop(t *testing.T) *shop {
	t.Helper()
	s := &shop{sessions: map[string]string{}, values: map[string]string{}, lastSeen: map[string]string{}}
	cert, caPEM := testCert(t, "shop.test", "*.shop.test", "news.test", "*.news.test")
	s.caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(s.caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	_, s.port, _ = net.SplitHostPort(s.srv.Listener.Addr().String())
	return s
}

// URL returns https://host:port+path.
func (s *shop) URL(host, path string) string {
	return "https://" + host + ":" + s.port + path
}

func randValue(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return secretPrefix + hex.EncodeToString(b)
}

func (s *shop) set(w http.ResponseWriter, name, value, attrs string) {
	s.values[name] = value
	w.Header().Add("Set-Cookie", name+"="+value+"; "+attrs)
}

// Value returns the value the site set for a cookie name.
func (s *shop) Value(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.values[name]
}

// Values returns every value the site set.
func (s *shop) Values() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, v := range s.values {
		out = append(out, v)
	}
	return out
}

// Expire ends every session server-side.
func (s *shop) Expire() {
	s.mu.Lock()
	s.sessions = map[string]string{}
	s.mu.Unlock()
}

func (s *shop) LastCookieHeader(path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastSeen[path]
}

func (s *shop) serve(w http.ResponseWriter, r *http.Request) {
	host, _, _ := net.SplitHostPort(r.Host)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastSeen[r.URL.Path] = r.Header.Get("Cookie")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	switch {
	case r.URL.Path == "/login" && r.Method == http.MethodPost:
		sid := randValue(16)
		s.sessions[sid] = r.FormValue("user")
		s.set(w, "sid", sid, "Domain=shop.test; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax")
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	case r.URL.Path == "/login":
		fmt.Fprint(w, `<!doctype html><title>Sign in</title><form method="post" action="/login" id="login-form">
<input id="user" name="user" value="alice"><input id="password" name="password" type="password">
<button id="sign-in" type="submit">Sign in</button></form>`)
	case r.URL.Path == "/account":
		c, err := r.Cookie("sid")
		user, ok := "", false
		if err == nil {
			user, ok = s.sessions[c.Value]
		}
		if !ok {
			http.Redirect(w, r, "/login?next=/account", http.StatusFound)
			return
		}
		fmt.Fprintf(w, `<!doctype html><title>Account</title><p>Signed in as <span id="account-name">%s</span></p>`, user)
	case r.URL.Path == "/set-all" && host == "shop.test":
		// One cookie of each kind, all on the connector's site.
		s.set(w, "hostonly", randValue(8)+"=x==", "Path=/account")                                     // host-only, session, '=' in value
		s.set(w, "sess", randValue(8), "Domain=shop.test; Path=/")                                     // domain, session
		s.set(w, "sec", randValue(8), "Domain=shop.test; Path=/; Secure; SameSite=None; Max-Age=7200") // Secure; SameSite=None
		s.set(w, "strict", randValue(8), "Domain=shop.test; Path=/; SameSite=Strict; Max-Age=600")
		s.set(w, "lax", randValue(8), "Path=/; SameSite=Lax; Max-Age=900")
		s.set(w, "big", randValue(2000)[:4000], "Domain=shop.test; Path=/; Max-Age=3600") // a 4 KB value
		fmt.Fprint(w, `<!doctype html><title>set</title><p id="done">set</p>`)
	case r.URL.Path == "/set-www" && host == "www.shop.test":
		s.set(w, "wwwonly", randValue(8), "Path=/; Max-Age=3600")
		fmt.Fprint(w, `<p id="done">set</p>`)
	case r.URL.Path == "/" && host == "news.test":
		// An unrelated site that embeds the shop's widget: the widget's
		// partitioned (CHIPS) cookie is keyed to news.test.
		s.set(w, "newsid", randValue(8), "Path=/; Max-Age=3600")
		fmt.Fprintf(w, `<!doctype html><title>news</title><iframe id="widget" src="https://widget.shop.test:%s/embed"></iframe>`, s.port)
	case r.URL.Path == "/embed" && host == "widget.shop.test":
		s.set(w, "chip", randValue(8), "Path=/; Secure; SameSite=None; Partitioned; Max-Age=3600")
		fmt.Fprint(w, `<p id="done">widget</p>`)
	case r.URL.Path == "/echo":
		fmt.Fprint(w, `<p id="done">echo</p>`)
	default:
		http.NotFound(w, r)
	}
}

// testCert makes a CA and a leaf certificate for the names.
func testCert(t *testing.T, names ...string) (tls.Certificate, []byte) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "authbridge test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caPEM
}

// connector is the shop's native definition.
func (s *shop) connector() map[string]any {
	return map[string]any{
		"id": "shop", "name": "Shop", "domains": []string{"shop.test"}, "auth_cookies": []string{"sid"},
		"login_url": s.URL("shop.test", "/login"),
		"verify": map[string]any{
			"url": s.URL("shop.test", "/account"), "logged_in_selector": "#account-name",
			"login_patterns": []string{"/login"},
		},
	}
}
