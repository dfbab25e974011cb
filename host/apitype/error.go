package apitype

import (
	"net/http"

	"github.com/authbridge/authbridge/taxonomy"
)

// Error is an error answer: of the local API (`{"error": Error}`, with the
// HTTP status beside it) and of a native message (`{"type":"error",
// "error": Error}`). Codes are listed in PROTOCOL.md and in Codes.
type Error struct {
	// Status is the HTTP status of a local API answer; not on the wire.
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Reason is a taxonomy code when one applies.
	Reason string `json:"reason,omitempty"`
	// Detail is a machine-readable refinement of Code.
	Detail string `json:"detail,omitempty"`
	// Prompt is what to do about it, when there is one next action
	// (access_not_granted: allow_access).
	Prompt *taxonomy.Prompt `json:"prompt,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// The error codes of PROTOCOL.md. Codes are never renamed or reused.
const (
	CodeBadRequest          = "bad_request"
	CodeUnknownType         = "unknown_type"
	CodeNotFound            = "not_found"
	CodeInternal            = "internal"
	CodeTimeout             = "timeout"
	CodeFrameTooLarge       = "frame_too_large"
	CodeOriginNotAllowed    = "origin_not_allowed"
	CodeBrowserNotConnected = "browser_not_connected"
	CodeHostUnreachable     = "host_unreachable"
	CodeBusy                = "busy"
	CodeForbidden           = "forbidden"
	// Firefox containers (cookies.get's store).
	CodeStoreNotFound    = "store_not_found"
	CodeStoreAmbiguous   = "store_ambiguous"
	CodeStoreUnsupported = "store_unsupported"
	// The relay's answer while the agent refuses to start.
	CodeAgentUnavailable = "agent_unavailable"
	// CodeAccessNotGranted: the user has not allowed the extension to read
	// (all of) the connector's domains in the browser.
	CodeAccessNotGranted = "access_not_granted"
)

// Codes is every error code with the HTTP status the local API answers it
// with. extension/lib/protocol.js holds the same table; a test compares them.
var Codes = map[string]int{
	CodeBadRequest:          http.StatusBadRequest,
	CodeUnknownType:         http.StatusBadRequest,
	CodeNotFound:            http.StatusNotFound,
	CodeInternal:            http.StatusInternalServerError,
	CodeTimeout:             http.StatusGatewayTimeout,
	CodeFrameTooLarge:       http.StatusRequestEntityTooLarge,
	CodeOriginNotAllowed:    http.StatusForbidden,
	CodeBrowserNotConnected: http.StatusServiceUnavailable,
	CodeHostUnreachable:     http.StatusServiceUnavailable,
	CodeBusy:                http.StatusConflict,
	CodeForbidden:           http.StatusForbidden,
	CodeStoreNotFound:       http.StatusNotFound,
	CodeStoreAmbiguous:      http.StatusConflict,
	CodeStoreUnsupported:    http.StatusBadRequest,
	CodeAgentUnavailable:    http.StatusServiceUnavailable,
	CodeAccessNotGranted:    http.StatusForbidden,
}

// HTTPStatus is the HTTP status of an error code (500 for a code not in
// Codes).
func HTTPStatus(code string) int {
	if s, ok := Codes[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// NoBrowserMessage is the one sentence shown when live cookies are needed
// and no browser is connected.
const NoBrowserMessage = "no browser is connected to authbridge: open Chrome (or Chromium) with the authbridge extension installed, then try again"
