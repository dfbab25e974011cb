package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/verify"
)

// maxSignedOutBody bounds the signed-out body (a run's cookies, without values).
const maxSignedOutBody = 256 << 10

// signedOut classifies why a drop-in run's site signed it out, from the
// cookies its page was sent (names, domains, paths, expiry; no values), by
// the connector's auth cookies (verify.SignedOut). Nothing is stored.
func (s *Server) signedOut(ctx context.Context, r *http.Request) (any, error) {
	def, err := s.cfg.Catalog.Connector(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	var req apitype.SignedOutRequest
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxSignedOutBody+1))
		if errors.Is(err, ErrBodyTooSlow) {
			return nil, err
		}
		if err != nil {
			return nil, BadRequest("read body: %v", err)
		}
		if len(b) > maxSignedOutBody {
			return nil, BadRequest("body: more than %d bytes", maxSignedOutBody)
		}
		if len(b) > 0 {
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&req); err != nil {
				return nil, BadRequest("body: %v", err)
			}
		}
	}
	cookies := make([]apitype.Cookie, 0, len(req.Cookies))
	for i, c := range req.Cookies {
		if c.Name == "" {
			return nil, BadRequest("cookies[%d].name: empty", i)
		}
		// The values never travel: a placeholder marks a cookie that has one.
		v := "set"
		if c.Empty {
			v = ""
		}
		session := c.Expires <= 0
		exp := c.Expires
		if session {
			exp = 0
		}
		cookies = append(cookies, apitype.Cookie{Name: c.Name, Value: v, Domain: c.Domain, Path: c.Path, Session: session, ExpirationDate: exp})
	}
	return apitype.SignedOutResult{Result: verify.SignedOut(def, cookies, verify.Options{})}, nil
}
