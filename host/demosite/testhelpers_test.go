package demosite

import "net/http"

// Helpers that only the tests use.

// Handler returns the site's HTTP handler.
func (s *Site) Handler() http.Handler { return s.handler }
