// Package access is the host's side of per-site grants: which connector
// domains the browser's permission state (the extension's granted origin
// patterns, sent in hello and access.changed) covers, and the error and
// prompt of a connector whose domains are not all granted. The rule is the
// extension's (extension/lib/access.js); both are tested against one table,
// testdata/grants.json.
package access

import (
	"fmt"
	"net"
	"strings"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/taxonomy"
)

// Message is the sentence every refusal ends with: the one next action.
const Message = "Allow in the authbridge popup"

type pattern struct {
	all  bool
	host string
	path string
}

func parse(p string) (pattern, bool) {
	if p == "<all_urls>" {
		return pattern{all: true}, true
	}
	scheme, rest, ok := strings.Cut(p, "://")
	if !ok || (scheme != "*" && scheme != "http" && scheme != "https") {
		return pattern{}, false
	}
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return pattern{}, false
	}
	host := strings.ToLower(rest[:i])
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return pattern{host: host, path: rest[i:]}, true
}

func normalize(d string) string {
	d = strings.ToLower(strings.TrimSpace(d))
	d = strings.TrimPrefix(d, ".")
	return strings.TrimSuffix(strings.TrimPrefix(d, "["), "]")
}

func isIP(d string) bool { return net.ParseIP(d) != nil }

// Covers reports whether the granted origin patterns cover the whole cookie
// scope of domain (the domain and its subdomains): `<all_urls>`, `*://*/*`,
// or `*://*.D/*` with D the domain or a parent of it; an IP address is also
// covered by its exact host.
func Covers(origins []string, domain string) bool {
	d := normalize(domain)
	if d == "" {
		return false
	}
	for _, o := range origins {
		p, ok := parse(o)
		if !ok {
			continue
		}
		if p.all {
			return true
		}
		if p.path != "/*" {
			continue
		}
		switch {
		case p.host == "*":
			return true
		case strings.HasPrefix(p.host, "*."):
			base := p.host[2:]
			if d == base || strings.HasSuffix(d, "."+base) {
				return true
			}
		case p.host == d && isIP(d):
			return true
		}
	}
	return false
}

// Missing returns the domains the origins do not cover, in order.
func Missing(origins []string, domains []string) []string {
	var out []string
	for _, d := range domains {
		if !Covers(origins, d) {
			out = append(out, d)
		}
	}
	return out
}

// NotGranted is the error of a connector some of whose domains are not
// granted: HTTP 403, code access_not_granted, the missing domains in
// Detail (space-separated), and the prompt whose one action is
// allow_access. A connector granted only some of its domains gets nothing.
func NotGranted(id, name string, missing []string) *apitype.Error {
	p := taxonomy.AccessPrompt(name, missing)
	return &apitype.Error{
		Code:    apitype.CodeAccessNotGranted,
		Message: fmt.Sprintf("access not granted: your browser has not allowed authbridge to read %s for connector %s. %s", strings.Join(missing, ", "), id, Message),
		Detail:  strings.Join(missing, " "),
		Prompt:  &p,
	}
}
