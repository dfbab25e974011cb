package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/cookies"
)

func (s *Server) ping(ctx context.Context, r *http.Request) (any, error) {
	return apitype.Ping{PID: os.Getpid(), Version: s.cfg.Agent().Version}, nil
}

func (s *Server) status(ctx context.Context, r *http.Request) (any, error) {
	all := r.URL.Query().Get("all")
	rows, err := s.cfg.Sessions.Rows(ctx, all == "1" || all == "true")
	if err != nil {
		return nil, err
	}
	return apitype.Status{Agent: s.cfg.Agent(), Bridges: s.cfg.Bridges.Bridges(), Connectors: rows}, nil
}

func (s *Server) connectors(ctx context.Context, r *http.Request) (any, error) {
	defs, problems := s.cfg.Catalog.Connectors()
	out := apitype.Connectors{Connectors: make([]apitype.ConnectorInfo, 0, len(defs)), Problems: problems}
	for _, d := range defs {
		info := apitype.ConnectorInfo{Definition: d, Source: d.Source, Kind: d.Kind, InheritsFrom: d.InheritsFrom, Shadows: d.Shadows}
		if d.ProfileFromApp {
			info.ProfileFrom = "app"
		}
		out.Connectors = append(out.Connectors, info)
	}
	if out.Problems == nil {
		out.Problems = []apitype.Problem{}
	}
	return out, nil
}

func (s *Server) lastSeen(ctx context.Context, r *http.Request) (any, error) {
	if len(s.cfg.Bridges.Bridges()) > 0 {
		now := time.Now()
		return apitype.LastSeen{LastSeenAt: &now}, nil
	}
	t, err := s.cfg.Bridges.LastBridgeSeen(ctx)
	if err != nil {
		return nil, err
	}
	if t.IsZero() {
		return apitype.LastSeen{}, nil
	}
	return apitype.LastSeen{LastSeenAt: &t}, nil
}

func (s *Server) cookies(ctx context.Context, r *http.Request) (any, error) {
	def, err := s.cfg.Catalog.Connector(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	name := q.Get("format")
	if name == "" {
		name = "playwright"
	}
	f, err := cookies.ParseFormat(name)
	if err != nil {
		return nil, BadRequest("format: %v", err)
	}
	opts := cookies.Options{URL: q.Get("url"), Now: time.Now()}
	if f == cookies.FormatHeader && opts.URL == "" {
		return nil, BadRequest("format header needs url: the Cookie header depends on the URL it is sent to")
	}
	cs, err := s.cfg.Sessions.LiveCookies(ctx, def)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := cookies.Encode(&buf, f, cs, opts); err != nil {
		return nil, BadRequest("%v", err)
	}
	if err := s.cfg.Sessions.RecordRelease(ctx, def, len(cs), f.String()); err != nil {
		return nil, fmt.Errorf("record cookie release: %w", err)
	}
	ct := "application/json"
	if f == cookies.FormatNetscape || f == cookies.FormatNetscapeCompat || f == cookies.FormatHeader {
		ct = "text/plain; charset=utf-8"
	}
	return Raw{ContentType: ct, Body: buf.Bytes(), Notice: noAuthCookieNotice(def, cs, opts.Now), NoticeCode: NoticeNoAuthCookie}, nil
}

// NoticeNoAuthCookie is the Authbridge-Notice-Code of a cookie answer that
// holds none of the connector's auth cookies: the browser is signed out of
// the site (or never signed in).
const NoticeNoAuthCookie = "no_auth_cookie"

// noAuthCookieNotice is the sentence for a cookie answer without one live
// auth cookie of a connector that names some, else "".
func noAuthCookieNotice(def connector.Definition, cs []apitype.Cookie, now time.Time) string {
	if len(def.AuthCookies) == 0 {
		return ""
	}
	for _, c := range cs {
		if cookies.IsAuthCookie(def.Domains, def.AuthCookies, c.Name, c.Domain) && (c.Session || c.ExpirationDate > float64(now.Unix())) {
			return ""
		}
	}
	site := def.ID
	if len(def.Domains) > 0 {
		site = def.Domains[0]
	}
	return fmt.Sprintf("the browser holds no sign-in cookie of %s (%s), so the answer has no session in it: sign in to %s in your browser, then ask again",
		asciiOnly(def.ID), asciiOnly(strings.Join(def.AuthCookies, ", ")), asciiOnly(site))
}

// asciiOnly keeps a header value printable ASCII.
func asciiOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}

// action is the preamble every connector action shares: the connector
// named in the path, and the optional {"run_id"} body.
func (s *Server) action(r *http.Request) (connector.Definition, apitype.ActionRequest, error) {
	var req apitype.ActionRequest
	def, err := s.cfg.Catalog.Connector(r.PathValue("id"))
	if err != nil {
		return def, req, err
	}
	if r.Body == nil {
		return def, req, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if errors.Is(err, ErrBodyTooSlow) {
		return def, req, err
	}
	if err != nil {
		return def, req, BadRequest("read body: %v", err)
	}
	if len(b) == 0 {
		return def, req, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return def, req, BadRequest("body: %v", err)
	}
	return def, req, nil
}

func (s *Server) verify(ctx context.Context, r *http.Request) (any, error) {
	def, req, err := s.action(r)
	if err != nil {
		return nil, err
	}
	return s.cfg.Sessions.Verify(ctx, def, req.RunID)
}

func (s *Server) repair(ctx context.Context, r *http.Request) (any, error) {
	def, req, err := s.action(r)
	if err != nil {
		return nil, err
	}
	if req.InConnectorBrowser {
		if req.TimeoutMS < 0 {
			return nil, BadRequest("timeout_ms: %d is negative", req.TimeoutMS)
		}
		return s.cfg.Sessions.SignInConnector(ctx, def, req.RunID, time.Duration(req.TimeoutMS)*time.Millisecond)
	}
	if req.TimeoutMS != 0 {
		return nil, BadRequest("timeout_ms is only for a repair with in_connector_browser")
	}
	return s.cfg.Sessions.Repair(ctx, def, req.RunID)
}

func (s *Server) clear(ctx context.Context, r *http.Request) (any, error) {
	def, _, err := s.action(r)
	if err != nil {
		return nil, err
	}
	return s.cfg.Sessions.Clear(ctx, def)
}

func (s *Server) interactive(ctx context.Context, r *http.Request) (any, error) {
	def, req, err := s.action(r)
	if err != nil {
		return nil, err
	}
	return s.cfg.Sessions.Interactive(ctx, def, req.RunID)
}
