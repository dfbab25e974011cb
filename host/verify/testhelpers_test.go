package verify

import (
	"context"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
)

// Helpers that only the tests use.

// Preflight checks only that the connector's auth cookies are present and
// unexpired among cookies, without touching the network. failed is true when
// one is absent or expired; the report then holds PROFILE_COOKIE_MISSING.
func Preflight(def connector.Definition, cookies []apitype.Cookie, opts Options) (r Report, failed bool) {
	p := &probe{def: def, cookies: cookies, opts: opts.withDefaults(), started: time.Now()}
	return p.preflight()
}

// HTTPProbe probes def.Verify.URL over plain HTTP without the preflight.
func HTTPProbe(ctx context.Context, def connector.Definition, cookies []apitype.Cookie, opts Options) (Report, error) {
	p, err := newProbe(def, cookies, opts)
	if err != nil {
		return Report{}, err
	}
	return p.http(ctx)
}

// BrowserProbe probes def.Verify.URL in headless Chromium without the
// preflight.
func BrowserProbe(ctx context.Context, def connector.Definition, cookies []apitype.Cookie, opts Options) (Report, error) {
	p, err := newProbe(def, cookies, opts)
	if err != nil {
		return Report{}, err
	}
	return p.browser(ctx)
}
