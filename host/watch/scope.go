package watch

import "github.com/authbridge/authbridge/host/cookies"

// inScope reports whether a stored host key belongs to a connector's
// domains, with the rules of the rest of the host.
func inScope(hostKey string, domains []string) bool { return cookies.InScope(hostKey, domains) }
