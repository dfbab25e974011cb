package verify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/authbridge/authbridge/taxonomy"
)

// newTransport returns a fresh HTTP transport for one probe. It trusts the
// system roots, which on Linux and the BSDs include $SSL_CERT_FILE and
// $SSL_CERT_DIR (Go reads them when it first loads the system pool), and it
// dials through the resolver. A proxy from the environment (HTTPS_PROXY,
// NO_PROXY) is used except for hosts the resolver maps, which are dialled
// directly since the mapping is the point.
func newTransport(res Resolver) *http.Transport {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: func(req *http.Request) (*url.URL, error) {
			if _, ok := res.Lookup(req.URL.Hostname(), portOf(req.URL)); ok {
				return nil, nil
			}
			return http.ProxyFromEnvironment(req)
		},
		DialContext:           res.DialContext(dialer),
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          4,
		IdleConnTimeout:       30 * time.Second,
	}
}

// transportKind maps a request error to a taxonomy transport kind.
func transportKind(err error) taxonomy.TransportKind {
	var (
		dnsErr      *net.DNSError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidErr  x509.CertificateInvalidError
		verifyErr   *tls.CertificateVerificationError
		recordErr   tls.RecordHeaderError
		alertErr    tls.AlertError
		netErr      net.Error
	)
	switch {
	case errors.As(err, &dnsErr):
		return taxonomy.TransportDNS
	case errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalidErr),
		errors.As(err, &verifyErr), errors.As(err, &recordErr), errors.As(err, &alertErr):
		return taxonomy.TransportTLS
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return taxonomy.TransportTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return taxonomy.TransportRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return taxonomy.TransportReset
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return taxonomy.TransportUnreachable
	case strings.Contains(err.Error(), "tls: "):
		return taxonomy.TransportTLS
	}
	return taxonomy.TransportOther
}

// chromeErrorKind maps a Chromium net error ("net::ERR_NAME_NOT_RESOLVED",
// see net/base/net_error_list.h) to a taxonomy transport kind.
func chromeErrorKind(text string) taxonomy.TransportKind {
	name := strings.TrimPrefix(text, "net::")
	switch {
	case name == "ERR_NAME_NOT_RESOLVED", name == "ERR_NAME_RESOLUTION_FAILED", strings.HasPrefix(name, "ERR_DNS_"):
		return taxonomy.TransportDNS
	case name == "ERR_TIMED_OUT", name == "ERR_CONNECTION_TIMED_OUT":
		return taxonomy.TransportTimeout
	case name == "ERR_CONNECTION_REFUSED":
		return taxonomy.TransportRefused
	case strings.HasPrefix(name, "ERR_CERT_"), strings.HasPrefix(name, "ERR_SSL_"), name == "ERR_BAD_SSL_CLIENT_AUTH_CERT":
		return taxonomy.TransportTLS
	case name == "ERR_CONNECTION_RESET", name == "ERR_CONNECTION_CLOSED", name == "ERR_CONNECTION_ABORTED",
		name == "ERR_EMPTY_RESPONSE", name == "ERR_INCOMPLETE_CHUNKED_ENCODING":
		return taxonomy.TransportReset
	case name == "ERR_ADDRESS_UNREACHABLE", name == "ERR_INTERNET_DISCONNECTED", name == "ERR_NETWORK_CHANGED":
		return taxonomy.TransportUnreachable
	}
	return taxonomy.TransportOther
}

// portOf returns the URL's port, or the scheme's default.
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}
