package release

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/authbridge/authbridge/host/cookies"
	"github.com/authbridge/authbridge/host/localapi"
)

// RefreshResult is the answer of POST /v1/connectors/{id}/refresh: a
// Playwright storage state of the fresh cookies, with the verify URL's
// HTTP status as the user's browser got it (0 when the request failed,
// fetch_error then says why).
type RefreshResult struct {
	Cookies    []json.RawMessage `json:"cookies"`
	Origins    []json.RawMessage `json:"origins"`
	HTTPStatus int               `json:"http_status"`
	// Redirected says the verify URL answered a redirect: the user's
	// browser follows none, so HTTPStatus is the hop's (0: opaque to the
	// extension) and no host the redirect names was sent anything.
	Redirected bool   `json:"redirected,omitempty"`
	FetchError string `json:"fetch_error,omitempty"`
	URL        string `json:"url"`
}

// refresh answers POST /v1/connectors/{id}/refresh: the extension sends one
// credentialed request from the user's browser to the connector's verify
// URL (no tab), so the browser renews what only it can, and answers the
// fresh cookies; a cookie release, audited as GET .../cookies is.
func (r *Routes) refresh(ctx context.Context, req *http.Request) (any, error) {
	def, err := r.cfg.Catalog.Connector(req.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if def.Verify.URL == "" {
		return nil, localapi.BadRequest("connector %s has no verify URL to refresh through", def.ID)
	}
	if def.SourceStore != "" {
		return nil, localapi.BadRequest("refresh reads the default cookie store; connector %s takes its cookies from %q", def.ID, def.SourceStore)
	}
	res, err := r.cfg.Refresh(ctx, def)
	if err != nil {
		return nil, err
	}
	live := cookies.FilterLive(res.Cookies, def.Domains, time.Now())
	var buf bytes.Buffer
	if err := cookies.Encode(&buf, cookies.FormatPlaywright, live, cookies.Options{Now: time.Now()}); err != nil {
		return nil, err
	}
	var st struct {
		Cookies []json.RawMessage `json:"cookies"`
		Origins []json.RawMessage `json:"origins"`
	}
	if err := json.Unmarshal(buf.Bytes(), &st); err != nil {
		return nil, fmt.Errorf("refresh: encode: %w", err)
	}
	if st.Origins == nil {
		st.Origins = []json.RawMessage{}
	}
	if err := r.cfg.Sessions.RecordFetchRelease(ctx, def, len(live), "playwright-refresh", def.Verify.URL); err != nil {
		return nil, fmt.Errorf("record cookie release: %w", err)
	}
	r.Publish(def.ID)
	return RefreshResult{Cookies: st.Cookies, Origins: st.Origins, HTTPStatus: res.Status, Redirected: res.Redirected, FetchError: res.FetchError, URL: def.Verify.URL}, nil
}
