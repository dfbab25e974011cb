package agent

import (
	"context"
	"errors"
	"fmt"

	"github.com/authbridge/authbridge/host/access"
	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
)

// browserCheck is the session manager's BrowserCheck: the extension sends
// one credentialed request from the user's browser to def's verify URL
// (cookies.refresh, as POST .../refresh does), and its status and whether it
// was a redirect are the answer. No cookie leaves the agent.
func (a *Agent) browserCheck(ctx context.Context, def connector.Definition) (int, bool, error) {
	if def.Verify.URL == "" || def.SourceStore != "" {
		return 0, false, errors.New("connector has no verify URL in the browser's default cookie store")
	}
	b, err := a.pickBridge(ctx, def)
	if err != nil {
		return 0, false, err
	}
	if miss := b.missing(def.Domains); len(miss) > 0 {
		return 0, false, access.NotGranted(def.ID, def.Name, miss)
	}
	var res apitype.CookiesRefreshResult
	if err := b.call(ctx, apitype.CookiesRefresh{URL: def.Verify.URL, Domains: def.Domains}, &res); err != nil {
		return 0, false, notGrantedOf(def, err)
	}
	if res.FetchError != "" {
		return 0, false, fmt.Errorf("the browser's request to the verify URL failed: %s", res.FetchError)
	}
	return res.Status, res.Redirected, nil
}
