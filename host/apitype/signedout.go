package apitype

import "github.com/authbridge/authbridge/taxonomy"

// RunCookie is what a drop-in run's browser holds of one cookie, without its
// value: the body of POST /v1/connectors/{id}/signed-out.
type RunCookie struct {
	Name   string `json:"name"`
	Domain string `json:"domain"`
	Path   string `json:"path"`
	// Expires is in seconds since the Unix epoch; -1 (or 0) for a session
	// cookie, as Playwright reports it.
	Expires float64 `json:"expires"`
	// Empty is true when the cookie's value is empty (it then counts as absent).
	Empty bool `json:"empty,omitempty"`
}

// SignedOutRequest is the body of POST /v1/connectors/{id}/signed-out: a run
// whose site asked for a sign-in, and the cookies its page was sent.
type SignedOutRequest struct {
	RunID   string      `json:"run_id,omitempty"`
	Cookies []RunCookie `json:"cookies"`
}

// SignedOutResult is the answer of POST /v1/connectors/{id}/signed-out: the
// host's classification of why the run's site signed it out.
type SignedOutResult struct {
	Result taxonomy.Result `json:"result"`
}
