package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/chromeprofile"
	"github.com/authbridge/authbridge/host/firefoxprofile"
	"github.com/authbridge/authbridge/host/watch"
	"github.com/authbridge/authbridge/manifest"
)

// profiles binds bridges to on-disk profiles with the chromeprofile package
// and watches them with the watch package (agent.Profiles).
type profiles struct {
	getenv func(string) string
	log    *slog.Logger
}

// candidateDirs are the user-data-dirs a bridge may run in: the one the
// browser was started with (when the relay saw it), $AUTHBRIDGE_USER_DATA_DIRS,
// and every browser's default.
func (p *profiles) candidateDirs(hint string) []string {
	var dirs []string
	seen := map[string]bool{}
	add := func(d string) {
		if d == "" {
			return
		}
		if abs, err := filepath.Abs(d); err == nil {
			d = abs
		}
		if seen[d] {
			return
		}
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			return
		}
		seen[d] = true
		dirs = append(dirs, d)
	}
	add(hint)
	for _, d := range filepath.SplitList(p.getenv("AUTHBRIDGE_USER_DATA_DIRS")) {
		add(d)
	}
	home, _ := os.UserHomeDir()
	if h := p.getenv("HOME"); h != "" {
		home = h
	}
	for _, u := range chromeprofile.UserDataDirs(manifest.Env{OS: runtime.GOOS, Home: home, Getenv: p.getenv}) {
		if u.Exists {
			add(u.Dir)
		}
	}
	return dirs
}

// Bind lists the profiles of every candidate user-data-dir and picks the one
// whose cookie store holds the live cookies (chromeprofile.Bind).
func (p *profiles) Bind(ctx context.Context, hint string, live []apitype.CookieMeta) (apitype.Binding, error) {
	var cands []chromeprofile.Profile
	for _, d := range p.candidateDirs(hint) {
		ps, err := chromeprofile.Profiles(d)
		if err != nil {
			p.log.Warn("list profiles", "dir", d, "err", err)
			continue
		}
		cands = append(cands, ps...)
	}
	b, err := chromeprofile.Bind(cands, live)
	if err != nil {
		return apitype.Binding{}, fmt.Errorf("bind profile (%d candidates): %w", len(cands), err)
	}
	return apitype.Binding{ProfileDir: b.ProfileDir, UserDataDir: b.UserDataDir, CookieStore: b.CookieStore,
		Method: b.Method, Evidence: b.Evidence, Assumed: b.Assumed()}, nil
}

// BindBrowser binds a bridge among the profiles of its browser family
// (agent.BrowserBinder): Firefox bridges among Firefox and LibreWolf
// profiles (the one Firefox was started with, when the relay saw
// --profile, then every profiles.ini root), reading cookies.sqlite
// metadata; other bridges as Bind does.
func (p *profiles) BindBrowser(ctx context.Context, browser, hint string, live []apitype.CookieMeta) (apitype.Binding, error) {
	if browser != "firefox" {
		return p.Bind(ctx, hint, live)
	}
	var cands []chromeprofile.Profile
	seen := map[string]bool{}
	add := func(c chromeprofile.Profile) {
		if !seen[c.Dir] {
			seen[c.Dir] = true
			cands = append(cands, c)
		}
	}
	if hint != "" && firefoxprofile.IsProfileDir(hint) {
		if abs, err := filepath.Abs(hint); err == nil {
			hint = abs
		}
		add(firefoxprofile.ProfileAt(hint))
	}
	if len(cands) == 0 {
		home, _ := os.UserHomeDir()
		if h := p.getenv("HOME"); h != "" {
			home = h
		}
		for _, root := range firefoxprofile.Roots(manifest.Env{OS: runtime.GOOS, Home: home, Getenv: p.getenv}) {
			ps, err := firefoxprofile.Profiles(root)
			if err != nil {
				p.log.Warn("list Firefox profiles", "dir", root, "err", err)
				continue
			}
			for _, c := range ps {
				add(c)
			}
		}
	}
	b, err := chromeprofile.BindWith(cands, live, firefoxprofile.ReadCookieMeta)
	if err != nil {
		return apitype.Binding{}, fmt.Errorf("bind Firefox profile (%d candidates): %w", len(cands), err)
	}
	return apitype.Binding{ProfileDir: b.ProfileDir, UserDataDir: b.UserDataDir, CookieStore: b.CookieStore,
		Method: b.Method, Evidence: b.Evidence, Assumed: b.Assumed()}, nil
}

// Watch runs a watch.Watcher on the bound profile until ctx ends.
func (p *profiles) Watch(ctx context.Context, b apitype.Binding, conns []apitype.WatchedConnector, changed func(string), profilesChanged func()) error {
	ws := make([]watch.Watched, 0, len(conns))
	for _, c := range conns {
		if len(c.AuthCookies) == 0 {
			continue // no auth cookies to watch (cookies.IsAuthCookie)
		}
		ws = append(ws, watch.Watched{ID: c.ID, Domains: c.Domains, AuthCookies: c.AuthCookies})
	}
	cfg := watch.Config{
		Store: b.CookieStore, UserDataDir: b.UserDataDir, Connectors: ws, Log: p.log,
		OnAuthChange: func(e watch.Event) {
			if e.Kind != watch.Vanished {
				changed(e.ConnectorID)
			}
		},
		OnProfilesChanged: profilesChanged,
	}
	if firefoxprofile.IsStore(b.CookieStore) {
		// Firefox: cookies.sqlite metadata; there is no Local State to follow.
		cfg.Read, cfg.UserDataDir = firefoxprofile.ReadCookieMeta, ""
	}
	return watch.New(cfg).Run(ctx)
}
