package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/authbridge/authbridge/host/demosite"
	"github.com/authbridge/authbridge/host/internal/firefox"
	"github.com/authbridge/authbridge/host/localclient"
	"github.com/authbridge/authbridge/host/paths"
	"github.com/authbridge/authbridge/install"
)

// measureFirefox is the cookie API latency from a Firefox bridge: Firefox
// ESR with the extension as a temporary add-on, the host registered in a
// fake $HOME/.mozilla, the profile holding *totalFlag cookies set by real
// Set-Cookie responses, and the demo connector asking for its 50.
func measureFirefox(ctx context.Context) ([]row, error) {
	if _, err := firefox.FindExecutable(); err != nil {
		if os.Getenv("CI") != "" {
			return nil, err
		}
		fmt.Println("Firefox: not installed; its rows are left out (with CI set this fails)")
		return nil, nil
	}
	bin, err := filepath.Abs(*binFlag)
	if err != nil {
		return nil, err
	}
	ext, err := filepath.Abs(*extFlag)
	if err != nil {
		return nil, err
	}
	base, err := os.MkdirTemp("", "abff")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(base)
	home := filepath.Join(base, "home")
	p, _ := paths.Resolve(paths.WithHome(home, os.Getenv))
	if err := p.EnsureDirs(); err != nil {
		return nil, err
	}
	site := demosite.New(demosite.Options{})
	siteURL, err := site.Start(ctx, "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer site.Close()
	u, _ := url.Parse(siteURL)
	port := u.Port()
	def := site.Definition(siteURL)
	conn, _ := json.Marshal(map[string]any{"id": def.ID, "name": def.Name, "domains": def.Domains, "auth_cookies": def.AuthCookies,
		"login_url": def.LoginURL, "verify": def.Verify})
	if err := os.WriteFile(filepath.Join(p.ConnectorsDir, "demo.json"), conn, 0o600); err != nil {
		return nil, err
	}
	user := filepath.Join(base, "user")
	if _, err := install.Install(install.Options{Home: user, Binary: bin, Browsers: []string{"firefox"}}); err != nil {
		return nil, err
	}
	urls := bulkURLs(port, *totalFlag)
	hosts := []string{"demo.test"}
	for _, s := range urls {
		h, _ := url.Parse(s)
		hosts = append(hosts, h.Hostname())
	}
	client := &localclient.Client{Socket: p.APISocket}
	defer client.StopAgent(context.Background())
	b, err := firefox.Launch(ctx, firefox.Options{
		Profile: filepath.Join(base, "profile"),
		Env:     []string{"HOME=" + user, "AUTHBRIDGE_HOME=" + home, "AUTHBRIDGE_AUTO_REPAIR=off", "AUTHBRIDGE_RESOLVE=*:" + port + ":127.0.0.1"},
		Hosts:   hosts,
		// Firefox keeps 3,000 cookies by default; the bench needs more.
		Prefs: []string{`user_pref("network.cookie.maxNumber", 20000);`, `user_pref("network.cookie.maxPerHost", 200);`},
	})
	if err != nil {
		return nil, err
	}
	defer b.Close()
	tctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if _, err := b.InstallExtension(tctx, ext); err != nil {
		return nil, err
	}
	if err := waitBridge(tctx, client); err != nil {
		return nil, err
	}
	fmt.Printf("Populating Firefox with %d cookies through real Set-Cookie responses...\n", *totalFlag)
	start := time.Now()
	for _, u := range urls {
		if err := b.Tab.Navigate(tctx, u); err != nil {
			return nil, fmt.Errorf("visit %s: %w", u, err)
		}
	}
	if err := b.Tab.Navigate(tctx, def.LoginURL); err != nil {
		return nil, err
	}
	if err := b.Tab.Eval(tctx, `(document.getElementById('username').value = 'ada', document.getElementById('password').value = '`+demosite.DefaultPassword+`', document.getElementById('sign-in').click(), true)`, nil); err != nil {
		return nil, err
	}
	var held []firefox.Cookie
	for {
		held, err = b.Cookies(tctx, "default", "")
		if err != nil {
			return nil, err
		}
		signedIn := false
		for _, c := range held {
			signedIn = signedIn || c.Name == "sid" && strings.TrimPrefix(c.Domain, ".") == "demo.test"
		}
		if signedIn {
			break
		}
		select {
		case <-tctx.Done():
			return nil, errors.New("the Firefox sign-in did not set sid")
		case <-time.After(50 * time.Millisecond):
		}
	}
	fmt.Printf("  Firefox holds %d cookies (%.1fs to populate)\n", len(held), time.Since(start).Seconds())
	if len(held) < *totalFlag {
		return nil, fmt.Errorf("Firefox holds %d cookies, want %d", len(held), *totalFlag)
	}

	body, _, err := client.Do(ctx, "GET", "/v1/connectors/demo/cookies?format=playwright", nil)
	if err != nil {
		return nil, err
	}
	if n := countCookies(body); n != 50 {
		return nil, fmt.Errorf("the connector's answer from Firefox has %d cookies, want 50", n)
	}
	var api []time.Duration
	for i := 0; i < *apiRuns; i++ {
		start := time.Now()
		body, _, err := client.Do(ctx, "GET", "/v1/connectors/demo/cookies?format=playwright", nil)
		api = append(api, time.Since(start))
		if err != nil {
			return nil, err
		}
		if n := countCookies(body); n != 50 {
			return nil, fmt.Errorf("API answer %d from Firefox has %d cookies, want 50", i, n)
		}
	}
	s := summarize(api)
	return []row{{"cookies, API call from Firefox (50 of 10,000)", ms(s.median), ms(s.p99), "median < 5 ms", verdict(s.median, 5*time.Millisecond)}}, nil
}

// waitBridge waits until a browser's extension has said hello to the agent.
func waitBridge(ctx context.Context, c *localclient.Client) error {
	for {
		var st struct {
			Bridges []struct {
				ExtensionVersion string `json:"extension_version"`
			} `json:"bridges"`
		}
		if c.JSON(ctx, "GET", "/v1/status", nil, &st) == nil && len(st.Bridges) > 0 && st.Bridges[0].ExtensionVersion != "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("the Firefox extension did not connect")
		case <-time.After(50 * time.Millisecond):
		}
	}
}
