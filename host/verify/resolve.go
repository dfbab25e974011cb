package verify

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// ResolveEnv is the environment variable that every probe honours, in curl's
// --resolve syntax: "host:port:addr,host2:port:addr".
const ResolveEnv = "AUTHBRIDGE_RESOLVE"

// Resolver maps host names to addresses the way curl's --resolve does: a
// connection to host:port goes to addr:port instead, while the URL, the Host
// header, cookies and TLS server name keep the host name. The zero Resolver
// maps nothing.
//
// Each entry is HOST:PORT:ADDR. HOST is a host name or "*" for any host (curl
// 7.64 and later); PORT is a number (the entry applies to that port only);
// ADDR is an IP address, IPv6 in brackets ("[::1]"). Entries are separated by
// commas, so curl's several addresses per entry are not supported; neither
// are curl's "+" and "-" prefixes.
type Resolver struct {
	entries []resolveEntry
}

type resolveEntry struct {
	host string // lower case, or "*"
	port string
	addr netip.Addr
}

// ParseResolve parses a comma-separated list of HOST:PORT:ADDR entries.
// Empty entries and surrounding spaces are ignored. The error names the entry
// that is wrong.
func ParseResolve(s string) (Resolver, error) {
	var r Resolver
	for raw := range strings.SplitSeq(s, ",") {
		entry := strings.TrimSpace(raw)
		if entry == "" {
			continue
		}
		e, err := parseResolveEntry(entry)
		if err != nil {
			return Resolver{}, fmt.Errorf("%s entry %q: %w", ResolveEnv, entry, err)
		}
		r.entries = append(r.entries, e)
	}
	return r, nil
}

func parseResolveEntry(entry string) (resolveEntry, error) {
	host, rest, ok := strings.Cut(entry, ":")
	if !ok {
		return resolveEntry{}, fmt.Errorf("want HOST:PORT:ADDR")
	}
	port, addr, ok := strings.Cut(rest, ":")
	if !ok {
		return resolveEntry{}, fmt.Errorf("want HOST:PORT:ADDR")
	}
	if host == "" || strings.ContainsAny(host, "/ []") {
		return resolveEntry{}, fmt.Errorf("bad host %q", host)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return resolveEntry{}, fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	if strings.HasPrefix(addr, "[") && strings.HasSuffix(addr, "]") {
		addr = addr[1 : len(addr)-1]
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return resolveEntry{}, fmt.Errorf("address %q is not an IP address", addr)
	}
	return resolveEntry{host: strings.ToLower(host), port: port, addr: ip}, nil
}

// ResolverFromEnv parses $AUTHBRIDGE_RESOLVE; unset or empty maps nothing.
func ResolverFromEnv() (Resolver, error) {
	return ParseResolve(os.Getenv(ResolveEnv))
}

// Lookup returns the address that host:port is mapped to. An exact host
// entry wins over "*"; among equals, the first entry wins.
func (r Resolver) Lookup(host, port string) (netip.Addr, bool) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	var wildcard netip.Addr
	for _, e := range r.entries {
		if e.port != port {
			continue
		}
		if e.host == host {
			return e.addr, true
		}
		if e.host == "*" && !wildcard.IsValid() {
			wildcard = e.addr
		}
	}
	return wildcard, wildcard.IsValid()
}

// Empty reports whether the resolver maps nothing.
func (r Resolver) Empty() bool { return len(r.entries) == 0 }

// String returns the entries in ParseResolve's syntax.
func (r Resolver) String() string {
	parts := make([]string, len(r.entries))
	for i, e := range r.entries {
		addr := e.addr.String()
		if e.addr.Is6() {
			addr = "[" + addr + "]"
		}
		parts[i] = e.host + ":" + e.port + ":" + addr
	}
	return strings.Join(parts, ",")
}

// DialContext returns a dial function that connects to the mapped address
// of a mapped host:port and dials everything else through d unchanged.
func (r Resolver) DialContext(d *net.Dialer) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		if host, port, err := net.SplitHostPort(address); err == nil {
			if addr, ok := r.Lookup(host, port); ok {
				address = net.JoinHostPort(addr.String(), port)
			}
		}
		return d.DialContext(ctx, network, address)
	}
}

// HostResolverRules returns the entries as Chromium's --host-resolver-rules
// value ("MAP host addr, ..."). Chromium's rule maps a host on every port,
// so an entry's port is dropped there: in the browser probe, demo.test:8080
// also maps demo.test:443. Entries are listed exact hosts first, so that
// "*" does not shadow them. It returns "" when nothing is mapped.
func (r Resolver) HostResolverRules() string {
	var exact, wild []string
	seen := map[string]bool{}
	for _, e := range r.entries {
		if seen[e.host] {
			continue
		}
		seen[e.host] = true
		addr := e.addr.String()
		if e.addr.Is6() {
			addr = "[" + addr + "]"
		}
		rule := "MAP " + e.host + " " + addr
		if e.host == "*" {
			wild = append(wild, rule)
		} else {
			exact = append(exact, rule)
		}
	}
	return strings.Join(append(exact, wild...), ", ")
}
