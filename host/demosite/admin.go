package demosite

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"time"
)

// State is the answer of every admin endpoint: the site's mode and counters.
// It never holds a session token.
type State struct {
	Mode     string         `json:"mode"`
	DelayMS  int64          `json:"delay_ms"` // the delay ModeSlow uses
	Status   int            `json:"status"`   // the status ModeError answers
	Sessions int            `json:"sessions"` // live sessions
	Expired  int            `json:"expired,omitempty"`
	Hits     map[string]int `json:"hits"` // requests per URL path
}

// State returns the site's current state, as GET /_admin/state does.
func (s *Site) State() State {
	mode, mo := s.Mode()
	st := State{Mode: mode, DelayMS: mo.Delay.Milliseconds(), Status: mo.Status, Sessions: s.Sessions()}
	s.mu.Lock()
	st.Hits = make(map[string]int, len(s.hits))
	for p, n := range s.hits {
		st.Hits[p] = n
	}
	s.mu.Unlock()
	return st
}

func (s *Site) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_admin/state", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.State())
	})
	mux.HandleFunc("POST /_admin/mode", s.adminMode)
	mux.HandleFunc("POST /_admin/expire-sessions", func(w http.ResponseWriter, r *http.Request) {
		n := s.ExpireSessions()
		st := s.State()
		st.Expired = n
		writeJSON(w, http.StatusOK, st)
	})
	mux.HandleFunc("POST /_admin/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		writeJSON(w, http.StatusOK, s.State())
	})
	mux.HandleFunc("POST /_admin/reset-hits", func(w http.ResponseWriter, r *http.Request) {
		s.ResetHits()
		writeJSON(w, http.StatusOK, s.State())
	})
}

// modeRequest is the body of POST /_admin/mode. As a form or query the same
// names apply: mode, delay (a Go duration such as "3s") or delay_ms, status.
type modeRequest struct {
	Mode    string `json:"mode"`
	Delay   string `json:"delay"`
	DelayMS int64  `json:"delay_ms"`
	Status  int    `json:"status"`
}

func (s *Site) adminMode(w http.ResponseWriter, r *http.Request) {
	req, err := parseModeRequest(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	mo := ModeOptions{Delay: time.Duration(req.DelayMS) * time.Millisecond}
	if req.Delay != "" {
		if mo.Delay, err = time.ParseDuration(req.Delay); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("delay %q: %v", req.Delay, err)})
			return
		}
	}
	mo.Status = req.Status
	if err := s.SetMode(req.Mode, mo); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, s.State())
}

func parseModeRequest(r *http.Request) (modeRequest, error) {
	var req modeRequest
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return req, fmt.Errorf("decode body: %w", err)
		}
		return req, nil
	}
	if err := r.ParseForm(); err != nil {
		return req, fmt.Errorf("parse form: %w", err)
	}
	req.Mode = r.Form.Get("mode")
	req.Delay = r.Form.Get("delay")
	if v := r.Form.Get("delay_ms"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return req, fmt.Errorf("delay_ms %q is not a number", v)
		}
		req.DelayMS = n
	}
	if v := r.Form.Get("status"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return req, fmt.Errorf("status %q is not a number", v)
		}
		req.Status = n
	}
	return req, nil
}
