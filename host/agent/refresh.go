package agent

import (
	"context"
	"fmt"
	"time"

	"github.com/authbridge/authbridge/host/access"
	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
)

// fetchVerify has the browser that serves def send one credentialed
// request to def's verify URL (no tab, no redirect followed), and answers
// the cookies of def's domains after it with the request's outcome.
func (a *Agent) fetchVerify(ctx context.Context, def connector.Definition) (apitype.CookiesRefreshResult, error) {
	b, err := a.pickBridge(ctx, def)
	if err != nil {
		return apitype.CookiesRefreshResult{}, err
	}
	if miss := b.missing(def.Domains); len(miss) > 0 {
		return apitype.CookiesRefreshResult{}, access.NotGranted(def.ID, def.Name, miss)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var res apitype.CookiesRefreshResult
	if err := b.conn.Call(cctx, apitype.CookiesRefresh{URL: def.Verify.URL, Domains: def.Domains}, &res); err != nil {
		return apitype.CookiesRefreshResult{}, notGrantedOf(def, err)
	}
	return res, nil
}

// Refresh has the user's browser fetch def's verify URL, so that it renews
// what only it can, and answers the HTTP status it got (0: opaque, or the
// request failed) and whether the URL answered a redirect (not followed).
// A request the browser could not send is an error. No cookie leaves the
// agent.
func (a *Agent) Refresh(ctx context.Context, def connector.Definition) (status int, redirected bool, err error) {
	if def.Verify.URL == "" {
		return 0, false, fmt.Errorf("connector %s has no verify URL to refresh through", def.ID)
	}
	res, err := a.fetchVerify(ctx, def)
	if err != nil {
		return 0, false, err
	}
	if res.FetchError != "" {
		return 0, res.Redirected, fmt.Errorf("the browser's request to %s failed: %s", def.Verify.URL, res.FetchError)
	}
	return res.Status, res.Redirected, nil
}
