package localclient

import (
	"context"
	"encoding/json"
	"net/url"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
)

// Status returns GET /v1/status; all adds the built-in connectors never
// used.
func (c *Client) Status(ctx context.Context, all bool) (apitype.Status, error) {
	path := "/v1/status"
	if all {
		path += "?all=1"
	}
	var st apitype.Status
	err := c.JSON(ctx, "GET", path, nil, &st)
	return st, err
}

// Connectors returns GET /v1/connectors.
func (c *Client) Connectors(ctx context.Context) (apitype.Connectors, error) {
	var cs apitype.Connectors
	err := c.JSON(ctx, "GET", "/v1/connectors", nil, &cs)
	return cs, err
}

// Cookies returns a connector's live cookies in a format ("playwright",
// "cdp", "netscape" or "header"; header needs pageURL), as the API sends
// them, with their content type.
func (c *Client) Cookies(ctx context.Context, id, format, pageURL string) ([]byte, string, error) {
	q := url.Values{}
	if format != "" {
		q.Set("format", format)
	}
	if pageURL != "" {
		q.Set("url", pageURL)
	}
	path := "/v1/connectors/" + url.PathEscape(id) + "/cookies"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return c.Do(ctx, "GET", path, nil)
}

// action posts a connector action with an optional run id.
func (c *Client) action(ctx context.Context, id, name, runID string, out any) ([]byte, error) {
	var body any
	if runID != "" {
		body = apitype.ActionRequest{RunID: runID}
	}
	raw, _, err := c.Do(ctx, "POST", "/v1/connectors/"+url.PathEscape(id)+"/"+name, body)
	if err != nil {
		return nil, err
	}
	return raw, json.Unmarshal(raw, out)
}

// Verify checks a connector's session. raw is the answer as sent.
func (c *Client) Verify(ctx context.Context, id, runID string) (res apitype.ActionResult, raw []byte, err error) {
	raw, err = c.action(ctx, id, "verify", runID, &res)
	return res, raw, err
}

// Repair repairs a connector's session from the browser. raw is the answer
// as sent.
func (c *Client) Repair(ctx context.Context, id, runID string) (res apitype.ActionResult, raw []byte, err error) {
	raw, err = c.action(ctx, id, "repair", runID, &res)
	return res, raw, err
}

// SignInConnector is repair with in_connector_browser: it opens a window
// on the connector's own profile at its login URL and answers once the
// person has signed in there (or timeout, 0 for the host's five minutes,
// has passed). raw is the answer as sent.
func (c *Client) SignInConnector(ctx context.Context, id, runID string, timeout time.Duration) (res apitype.ActionResult, raw []byte, err error) {
	body := apitype.ActionRequest{RunID: runID, InConnectorBrowser: true, TimeoutMS: timeout.Milliseconds()}
	raw, _, err = c.Do(ctx, "POST", "/v1/connectors/"+url.PathEscape(id)+"/repair", body)
	if err != nil {
		return res, nil, err
	}
	return res, raw, json.Unmarshal(raw, &res)
}

// Clear clears a connector's own session state. raw is the answer as sent.
func (c *Client) Clear(ctx context.Context, id string) (res apitype.ClearResult, raw []byte, err error) {
	raw, err = c.action(ctx, id, "clear", "", &res)
	return res, raw, err
}

// Interactive opens a connector's login page in the browser.
func (c *Client) Interactive(ctx context.Context, id, runID string) (apitype.InteractiveResult, error) {
	var res apitype.InteractiveResult
	_, err := c.action(ctx, id, "interactive", runID, &res)
	return res, err
}

// Events sends metrics events: one JSON object, or JSON lines, sent as they
// are (the answer's line numbers are those of data). It returns the answer
// ({"accepted","duplicates"}) as sent.
func (c *Client) Events(ctx context.Context, data []byte) ([]byte, error) {
	raw, _, err := c.Do(ctx, "POST", "/v1/events", Raw{ContentType: "application/x-ndjson", Data: data})
	return raw, err
}
