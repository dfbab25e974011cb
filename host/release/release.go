// Package release is the agent's local API routes that release a
// connector's cookies beyond one read, and the view of who received them:
// the cookie stream (server-sent events, bounded per user), refresh
// through the user's browser, and the access log. Every release is audited
// through the session manager; the agent wires the browser round trip and
// tells the streams when a connector's cookies may have changed (Publish).
package release

import (
	"context"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/localapi"
	"github.com/authbridge/authbridge/host/store"
)

// Catalog is the set of connector definitions (catalog.Catalog).
type Catalog interface {
	Connector(id string) (connector.Definition, error)
	Connectors() ([]connector.Definition, []apitype.Problem)
}

// Sessions reads live cookies and audits their release (session.Manager).
type Sessions interface {
	LiveCookies(ctx context.Context, def connector.Definition) ([]apitype.Cookie, error)
	RecordRelease(ctx context.Context, def connector.Definition, n int, format string) error
	RecordFetchRelease(ctx context.Context, def connector.Definition, n int, format, url string) error
}

// Config configures the routes.
type Config struct {
	Catalog  Catalog
	Sessions Sessions
	// Refresh has the user's browser send one credentialed request to
	// def's verify URL and answers the cookies of def's domains after it.
	Refresh func(ctx context.Context, def connector.Definition) (apitype.CookiesRefreshResult, error)
	// Callers lists who received a connector's cookies
	// (store.Store.CallerSummaries).
	Callers func(ctx context.Context, connectorID string, limit int) ([]store.CallerSummary, int, error)
	// Access tells whether the browser grants def's domains
	// (session.AccessChecker).
	Access func(def connector.Definition) (string, []string)
	// MaxStreams caps the cookie streams open at once per user (0:
	// DefaultMaxStreams).
	MaxStreams int
	// StreamStall closes a cookie stream whose caller has not taken a
	// write for this long (0: DefaultStreamStall).
	StreamStall time.Duration
	// Done, once closed, ends every stream (the agent stopping).
	Done <-chan struct{}
}

// Routes serves the routes and fans cookie changes out to the streams.
type Routes struct {
	cfg Config
	hub hub
}

// New returns the routes of cfg.
func New(cfg Config) *Routes {
	if cfg.MaxStreams <= 0 {
		cfg.MaxStreams = DefaultMaxStreams
	}
	if cfg.StreamStall <= 0 {
		cfg.StreamStall = DefaultStreamStall
	}
	return &Routes{cfg: cfg}
}

// Handlers are the local API routes ("METHOD /v1/path": handler).
func (r *Routes) Handlers() map[string]localapi.HandlerFunc {
	return map[string]localapi.HandlerFunc{
		"GET /v1/connectors/{id}/cookies/stream": r.cookieStream,
		"POST /v1/connectors/{id}/refresh":       r.refresh,
		"GET /v1/access":                         r.accessLog,
	}
}

// Publish wakes every stream of the given connectors: their cookies may
// have changed.
func (r *Routes) Publish(ids ...string) { r.hub.publish(ids...) }

// StreamEvents is how many cookie events streams have started to write.
func (r *Routes) StreamEvents() int { return int(r.hub.events.Load()) }

// OpenStreams is the number of cookie streams open now.
func (r *Routes) OpenStreams() int {
	r.hub.mu.Lock()
	defer r.hub.mu.Unlock()
	return r.hub.total
}
