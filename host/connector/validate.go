package connector

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"
)

// FieldError reports one invalid field of a definition. Field is a JSON path
// in the file's own schema, such as "domains[0]", "verify.url" or, in a
// manifest, "consumer_metadata.brand_domain".
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Problem
	}
	return e.Field + " " + e.Problem
}

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// idPattern is what a connector id may look like: it names state files and is
// typed on command lines.
var idPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`) })

// cookieNamePattern is an RFC 6265 cookie-name token.
var cookieNamePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$") })

// Validate reports every problem of d as a *FieldError, joined with
// errors.Join, or returns nil. It checks that the id is set and well formed,
// that there is at least one domain and each is a host name or IP address
// that is not a public suffix, that the cookie names are cookie-name tokens,
// that the URLs are absolute http(s) URLs and the verify URL is inside the
// domains, that the patterns compile, and that session paths are absolute.
// Domains are compared in their normal form: lowercase, without a leading
// dot.
func Validate(d Definition) error {
	var errs []error
	add := func(e *FieldError) { errs = append(errs, e) }

	switch {
	case d.ID == "":
		add(fieldErr("id", "is missing"))
	case !idPattern().MatchString(d.ID):
		add(fieldErr("id", "%q must be 1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit", d.ID))
	}

	if err := checkText(d.Name, 200); err != nil {
		add(fieldErr("name", "%v", err))
	}

	if len(d.Domains) == 0 {
		add(fieldErr("domains", "is missing: a connector needs at least one domain"))
	}
	seen := make(map[string]int)
	for i, raw := range d.Domains {
		field := fmt.Sprintf("domains[%d]", i)
		dom := normalizeDomain(raw)
		if err := checkDomain(dom); err != nil {
			add(fieldErr(field, "%q %v", raw, err))
			continue
		}
		if j, ok := seen[dom]; ok {
			add(fieldErr(field, "%q repeats domains[%d]", raw, j))
			continue
		}
		seen[dom] = i
	}

	seenCookie := make(map[string]int)
	for i, name := range d.AuthCookies {
		field := fmt.Sprintf("auth_cookies[%d]", i)
		if !cookieNamePattern().MatchString(name) {
			add(fieldErr(field, "%q is not a valid cookie name", name))
			continue
		}
		if j, ok := seenCookie[name]; ok {
			add(fieldErr(field, "%q repeats auth_cookies[%d]", name, j))
			continue
		}
		seenCookie[name] = i
	}

	seenSignIn := make(map[string]int)
	for i, raw := range d.SignInDomains {
		field := fmt.Sprintf("sign_in_domains[%d]", i)
		dom := normalizeDomain(raw)
		if err := checkDomain(dom); err != nil {
			add(fieldErr(field, "%q %v", raw, err))
			continue
		}
		if j, ok := seenSignIn[dom]; ok {
			add(fieldErr(field, "%q repeats sign_in_domains[%d]", raw, j))
			continue
		}
		seenSignIn[dom] = i
	}
	if d.LoginURL != "" {
		if u, err := checkURL(d.LoginURL); err != nil {
			add(fieldErr("login_url", "%q %v", d.LoginURL, err))
		} else if len(seen) > 0 && !d.MayOpen(d.LoginURL) {
			add(fieldErr("login_url", "%q is outside the connector's domains and its sign_in_domains: a connector opens pages of its own sites only (list a sign-in host in sign_in_domains)", u.Redacted()))
		}
	}
	if d.Verify.URL != "" {
		if u, err := checkURL(d.Verify.URL); err != nil {
			add(fieldErr("verify.url", "%q %v", d.Verify.URL, err))
		} else if len(seen) > 0 && !d.Covers(u.Hostname()) {
			add(fieldErr("verify.url", "%q is outside the connector's domains", d.Verify.URL))
		}
	}
	for _, list := range []struct {
		field    string
		patterns []string
	}{
		{"verify.login_patterns", d.Verify.LoginPatterns},
		{"verify.mfa_patterns", d.Verify.MFAPatterns},
		{"verify.checkpoint_patterns", d.Verify.CheckpointPatterns},
	} {
		for i, p := range list.patterns {
			if err := checkPattern(p); err != nil {
				add(fieldErr(fmt.Sprintf("%s[%d]", list.field, i), "%v", err))
			}
		}
	}

	if d.Session != nil {
		if p := d.Session.StorageState; p != "" && !filepath.IsAbs(p) {
			add(fieldErr("session.storage_state", "%q must be an absolute path", p))
		}
		if p := d.Session.ProfileDir; p != "" && !filepath.IsAbs(p) {
			add(fieldErr("session.profile_dir", "%q must be an absolute path", p))
		}
	}
	if p := d.SourceProfile; p != "" && !filepath.IsAbs(p) {
		add(fieldErr("source_profile", "%q must be an absolute path", p))
	}
	if s := d.SourceStore; s != "" && (strings.TrimSpace(s) != s || len(s) > 100 || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f })) {
		add(fieldErr("source_store", "%q must be a container name: at most 100 characters, no control characters or surrounding spaces", s))
	}
	return errors.Join(errs...)
}

// normalizeDomain lowercases a cookie domain and drops surrounding spaces, a
// leading dot (cookie-jar spelling of a domain cookie) and a trailing dot.
func normalizeDomain(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, ".")
	return strings.TrimSuffix(s, ".")
}

// checkDomain says what is wrong with a normalized domain, or returns nil.
// Hosts such as "localhost" and IP addresses are accepted.
func checkDomain(d string) error {
	if d == "" {
		return errors.New("is empty")
	}
	if strings.Contains(d, "://") || strings.ContainsAny(d, "/?#@") {
		return errors.New("must be a host name, not a URL")
	}
	if _, err := netip.ParseAddr(strings.Trim(d, "[]")); err == nil {
		return nil
	}
	if strings.Contains(d, ":") {
		return errors.New("must be a host name without a port")
	}
	if len(d) > 253 {
		return errors.New("is longer than 253 characters")
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 {
			return errors.New("is not a valid host name")
		}
		for _, r := range label {
			ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_'
			if !ok {
				return errors.New("is not a valid host name (write international names in their xn-- form)")
			}
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return errors.New("is not a valid host name")
		}
	}
	if isPublicSuffix(d) {
		return errors.New("is a public suffix")
	}
	return nil
}

// isPublicSuffix reports whether d is a public suffix (com, co.uk, github.io).
// A single label that is not an ICANN top-level domain, such as "localhost",
// is a host rather than a suffix: the list's default rule "*" would otherwise
// call every such name a suffix.
func isPublicSuffix(d string) bool {
	suffix, icann := publicsuffix.PublicSuffix(d)
	if suffix != d {
		return false
	}
	if !strings.Contains(d, ".") && !icann {
		return false
	}
	return true
}

// checkURL parses an absolute http or https URL with a host.
func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("must be an absolute http or https URL")
	}
	if u.Hostname() == "" {
		return nil, errors.New("has no host")
	}
	return u, nil
}

// coversHost reports whether host is one of domains or a subdomain of one.
func coversHost(domains []string, host string) bool {
	host = normalizeDomain(host)
	for _, d := range domains {
		d = normalizeDomain(d)
		if d == "" {
			continue
		}
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// Covers reports whether a cookie or request for host falls inside the
// definition's domains: host is one of them or a subdomain of one. A leading
// dot on host (a domain cookie's spelling) is ignored. A cookie set on a
// parent of a connector's domain is outside it.
func (d Definition) Covers(host string) bool {
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		for _, dom := range d.Domains {
			if strings.Trim(normalizeDomain(dom), "[]") == strings.Trim(host, "[]") {
				return true
			}
		}
		return false
	}
	return coversHost(d.Domains, host)
}

// MayOpen reports whether the connector may open or fetch rawURL: an
// absolute http(s) URL whose host lies inside its domains or its declared
// sign-in domains.
func (d Definition) MayOpen(rawURL string) bool {
	u, err := checkURL(rawURL)
	if err != nil {
		return false
	}
	if d.Covers(u.Hostname()) {
		return true
	}
	return Definition{Domains: d.SignInDomains}.Covers(u.Hostname())
}

// registrableDomain reduces a host to its registrable domain (eTLD+1). Hosts
// that have none, such as IP addresses, "localhost" or a public suffix, are
// returned normalized so that Validate can judge them.
func registrableDomain(host string) string {
	host = normalizeDomain(host)
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return host
	}
	if reg, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return reg
	}
	return host
}

// checkText refuses a display text that is not valid UTF-8, holds control
// characters (a terminal would act on them) or is longer than max bytes.
func checkText(s string, max int) error {
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') {
			return fmt.Errorf("holds the control character %U: use plain text", r)
		}
	}
	if len(s) > max {
		return fmt.Errorf("is %d bytes long, at most %d", len(s), max)
	}
	return nil
}
