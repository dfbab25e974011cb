package verify

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/taxonomy"
)

// tlsChildURL, when set, makes TestSSLCertFileChild probe that URL. Go loads
// the system roots (and so $SSL_CERT_FILE) once per process, so the custom
// CA is tested in a child process of this test binary.
const tlsChildURL = "AUTHBRIDGE_TEST_TLS_URL"

// TestSSLCertFile checks that a probe trusts a CA named by $SSL_CERT_FILE and
// honours $AUTHBRIDGE_RESOLVE: the child probes https://example.com:PORT,
// mapped to the loopback test server whose certificate is for example.com.
func TestSSLCertFile(t *testing.T) {
	srv := httptest.NewUnstartedServer(&demoSite{})
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted handshake below is expected
	srv.StartTLS()
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	verifyURL := "https://example.com:" + port + "/account"
	resolve := "example.com:" + port + ":127.0.0.1"

	// Without the CA, the certificate is not trusted.
	res, _ := ParseResolve(resolve)
	r, err := Verify(context.Background(), demoDef(verifyURL), []apitype.Cookie{sidCookie("example.com", true)}, Options{Resolver: &res, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("Verify error: %v", err)
	}
	if r.Result.Code != taxonomy.NetworkOrTimeout || r.Result.Detail != taxonomy.DetailTLS {
		t.Errorf("Verify(untrusted certificate) = %v/%v, want %v/%v", r.Result.Code, r.Result.Detail, taxonomy.NetworkOrTimeout, taxonomy.DetailTLS)
	}

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, block, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSSLCertFileChild$", "-test.v")
	cmd.Env = append(os.Environ(),
		"SSL_CERT_FILE="+caFile,
		"SSL_CERT_DIR="+t.TempDir(),
		ResolveEnv+"="+resolve,
		tlsChildURL+"="+verifyURL,
	)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestSSLCertFileChild") {
		t.Errorf("child probe with SSL_CERT_FILE failed: %v\n%s", err, out)
	}
}

func TestSSLCertFileChild(t *testing.T) {
	u := os.Getenv(tlsChildURL)
	if u == "" {
		t.Skip("a child process of TestSSLCertFile, which runs it (locally and in CI)")
	}
	host := strings.Split(strings.TrimPrefix(u, "https://"), ":")[0]
	// Options{} reads the resolver from the environment.
	r, err := Verify(context.Background(), demoDef(u), []apitype.Cookie{sidCookie(host, true)}, Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("Verify error: %v", err)
	}
	if r.Result.Code != taxonomy.OK {
		t.Errorf("Verify(%s) with SSL_CERT_FILE = %v/%v, want OK", u, r.Result.Code, r.Result.Detail)
	}
}

func TestChromeErrorKind(t *testing.T) {
	tests := map[string]taxonomy.TransportKind{
		"net::ERR_NAME_NOT_RESOLVED":      taxonomy.TransportDNS,
		"net::ERR_CONNECTION_REFUSED":     taxonomy.TransportRefused,
		"net::ERR_TIMED_OUT":              taxonomy.TransportTimeout,
		"net::ERR_CERT_AUTHORITY_INVALID": taxonomy.TransportTLS,
		"net::ERR_SSL_PROTOCOL_ERROR":     taxonomy.TransportTLS,
		"net::ERR_EMPTY_RESPONSE":         taxonomy.TransportReset,
		"net::ERR_ADDRESS_UNREACHABLE":    taxonomy.TransportUnreachable,
		"net::ERR_BLOCKED_BY_CLIENT":      taxonomy.TransportOther,
	}
	for text, want := range tests {
		if got := chromeErrorKind(text); got != want {
			t.Errorf("chromeErrorKind(%q) = %q, want %q", text, got, want)
		}
	}
}
