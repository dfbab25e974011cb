//go:build !windows

package connector

import (
	"path/filepath"
	"testing"
)

func TestLoadPlacesOwnProfileWins(t *testing.T) {
	app := writeTree(t, map[string]string{
		"connectors/x/x-playwright.json": `{"connector_id": "x-playwright", "connect_url": "https://x.com/",
			"auth": {"session": {"profile_dir": "/elsewhere"}}}`,
		"browser-profiles/x-playwright/Default/Preferences": `{}`,
	})
	s, _ := LoadPlaces(Place{Dir: filepath.Join(app, "connectors"), Recursive: true, Profiles: filepath.Join(app, "browser-profiles")})
	d, ok := s.Get("x-playwright")
	if !ok || d.Session == nil || d.Session.ProfileDir != "/elsewhere" || d.ProfileFromApp {
		t.Errorf("x-playwright session = %+v, want the definition's own /elsewhere", d.Session)
	}
}
