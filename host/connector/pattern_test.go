package connector

import "testing"

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pattern, url string
		want         bool
	}{
		{"/login", "https://demo.test:8080/login?next=/account", true},
		{"/LOGIN", "https://demo.test/login", true},                        // plain patterns ignore case
		{"demo.test/login", "https://WWW.Demo.Test/login", true},           // host is lowercased
		{"/login", "https://demo.test/account?next=/login", false},         // query is not matched
		{"/login", "https://demo.test/account#/login", false},              // nor the fragment
		{"/two-factor", "https://demo.test/a%2Fb/two-factor", true},        // path is decoded
		{"demo.test/login", "demo.test/login", true},                       // no scheme: read as https
		{"re:^demo\\.test/login$", "https://demo.test/login", true},        // regexp on host+path
		{"re:^demo\\.test/login$", "https://demo.test/login/extra", false}, //
		{"re:^demo\\.test/LOGIN$", "https://demo.test/login", false},       // regexps keep case
		{"re:(?i)^demo\\.test/LOGIN$", "https://demo.test/login", true},    //
		{"re:^demo\\.test/$", "https://demo.test", true},                   // empty path is "/"
		{"re:[", "https://demo.test/[", false},                             // invalid regexp matches nothing
		{"", "https://demo.test/", false},                                  // empty pattern matches nothing
		{"/login", "", false},                                              //
		{"/login", "https:///login", false},                                // no host
		{"/login", "://bad url", false},                                    //
		{"127.0.0.1/login", "http://127.0.0.1:5555/login", true},           //
	}
	for _, tt := range tests {
		if got := MatchPattern(tt.pattern, tt.url); got != tt.want {
			t.Errorf("MatchPattern(%q, %q) = %v, want %v", tt.pattern, tt.url, got, tt.want)
		}
	}
}

func TestVerifyMatchOrder(t *testing.T) {
	// The MFA and checkpoint pages live under the login pattern here:
	// Match must report the more specific wall.
	v := Verify{
		LoginPatterns:      []string{"/login"},
		MFAPatterns:        []string{"/login/two-factor"},
		CheckpointPatterns: []string{"/login/checkpoint"},
	}
	tests := []struct {
		url  string
		want Wall
	}{
		{"https://demo.test/account", WallNone},
		{"https://demo.test/login", WallLogin},
		{"https://demo.test/login/two-factor", WallMFA},
		{"https://demo.test/login/checkpoint", WallCheckpoint},
	}
	for _, tt := range tests {
		if got := v.Match(tt.url); got != tt.want {
			t.Errorf("Match(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
	if !v.MatchesLogin("https://demo.test/login/two-factor") {
		t.Errorf("MatchesLogin(two-factor page) = false, want true: the helpers do not apply precedence")
	}
}

// TestBuiltinWalls replays URL chains as a probe meets them on each real
// site: the verify URL, the redirects of a signed-out or challenged session,
// and look-alike URLs that must not match.
func TestBuiltinWalls(t *testing.T) {
	type hop struct {
		url  string
		want Wall
	}
	chains := map[string][]hop{
		"linkedin": {
			{"https://www.linkedin.com/feed/", WallNone},
			{"https://www.linkedin.com/uas/login?session_redirect=https%3A%2F%2Fwww%2Elinkedin%2Ecom%2Ffeed%2F", WallLogin},
			{"https://www.linkedin.com/login?fromSignIn=true&trk=guest_homepage", WallLogin},
			{"https://www.linkedin.com/checkpoint/lg/login-submit", WallLogin},
			{"https://www.linkedin.com/uas/login-submit", WallLogin},
			{"https://www.linkedin.com/authwall?trk=gf&sessionRedirect=https%3A%2F%2Fwww.linkedin.com%2Fin%2Fme", WallLogin},
			{"https://www.linkedin.com/checkpoint/rm/sign-in-another-account?session_redirect=%2Ffeed%2F", WallLogin},
			{"https://www.linkedin.com/checkpoint/challenge/AgHx1pQ?ut=0abc&trk=login", WallCheckpoint},
			{"https://www.linkedin.com/checkpoint/challengesV2/AQEx?ut=1", WallCheckpoint},
			{"https://www.linkedin.com/in/loginov/", WallNone},
			{"https://www.linkedin.com/feed/?trk=login", WallNone},
		},
		"github": {
			{"https://github.com/settings/profile", WallNone},
			{"https://github.com/login?return_to=https%3A%2F%2Fgithub.com%2Fsettings%2Fprofile", WallLogin},
			{"https://github.com/session", WallLogin},
			{"https://github.com/sessions/two-factor/app", WallMFA},
			{"https://github.com/sessions/two-factor/webauthn", WallMFA},
			{"https://github.com/sessions/two-factor", WallMFA},
			{"https://github.com/sessions/verified-device", WallCheckpoint},
			{"https://github.com/login/oauth/authorize?client_id=abc", WallNone},
			{"https://github.com/loginuser/dotfiles", WallNone},
			{"https://github.com/someone/login", WallNone},
		},
		"instagram": {
			{"https://www.instagram.com/accounts/edit/", WallNone},
			{"https://www.instagram.com/accounts/login/?next=%2Faccounts%2Fedit%2F", WallLogin},
			{"https://www.instagram.com/accounts/login/two_factor?next=%2Faccounts%2Fedit%2F", WallMFA},
			{"https://www.instagram.com/challenge/?next=/accounts/edit/", WallCheckpoint},
			{"https://www.instagram.com/challenge/action/AXG4/", WallCheckpoint},
			{"https://www.instagram.com/accounts/suspended/?next=%2F", WallCheckpoint},
			{"https://www.instagram.com/natgeo/", WallNone},
		},
		"google": {
			{"https://myaccount.google.com/", WallNone},
			{"https://accounts.google.com/ServiceLogin?service=accountsettings&continue=https://myaccount.google.com/", WallLogin},
			{"https://accounts.google.com/v3/signin/identifier?continue=https%3A%2F%2Fmyaccount.google.com%2F&flowName=GlifWebSignIn", WallLogin},
			{"https://accounts.google.com/v3/signin/challenge/pwd?TL=AGEV", WallLogin},
			{"https://accounts.google.com/AccountChooser?continue=https://www.youtube.com/", WallLogin},
			{"https://accounts.google.com/v3/signin/challenge/totp?TL=AGEV", WallMFA},
			{"https://accounts.google.com/signin/v2/challenge/ipp?flowName=GlifWebSignIn", WallMFA},
			{"https://accounts.google.com/v3/signin/challenge/az?TL=x", WallMFA},
			{"https://accounts.google.com/v3/signin/challenge/selection?TL=x", WallMFA},
			{"https://accounts.google.com/v3/signin/challenge/recaptcha?TL=x", WallCheckpoint},
			{"https://accounts.google.com/v3/signin/rejected?TL=x", WallCheckpoint},
			{"https://accounts.google.com/speedbump/idvreenable?TL=x", WallCheckpoint},
			{"https://www.google.com/sorry/index?continue=https://www.youtube.com/", WallCheckpoint},
			{"https://www.youtube.com/", WallNone},
			{"https://www.youtube.com/feed/history", WallNone},
		},
		"x": {
			{"https://x.com/home", WallNone},
			{"https://x.com/i/flow/login?redirect_after_login=%2Fhome", WallLogin},
			{"https://twitter.com/login?redirect_after_login=%2Fhome", WallLogin},
			{"https://mobile.twitter.com/login", WallLogin},
			{"https://twitter.com/account/login_verification?platform=web", WallMFA},
			{"https://twitter.com/account/access", WallCheckpoint},
			{"https://x.com/account/login_challenge?challenge_type=RetypePhoneNumber", WallCheckpoint},
			{"https://x.com/loginbot", WallNone},
			{"https://x.com/someone/status/1", WallNone},
		},
		"amazon": {
			{"https://www.amazon.com/gp/css/homepage.html", WallNone},
			{"https://www.amazon.com/ap/signin?openid.return_to=https%3A%2F%2Fwww.amazon.com%2Fgp%2Fcss%2Fhomepage.html&openid.assoc_handle=usflex", WallLogin},
			{"https://www.amazon.com/gp/sign-in.html", WallLogin},
			{"https://www.amazon.com/ap/mfa?ie=UTF8&arb=5a1b", WallMFA},
			{"https://www.amazon.com/ap/cvf/request?arb=5a1b", WallCheckpoint},
			{"https://www.amazon.com/ap/cvf/approval?arb=5a1b", WallCheckpoint},
			{"https://www.amazon.com/errors/validateCaptcha?amzn=x&amzn-r=%2F", WallCheckpoint},
			{"https://www.amazon.com/gp/your-account/order-history", WallNone},
		},
		"spotify": {
			{"https://open.spotify.com/", WallNone},
			{"https://accounts.spotify.com/en/login?continue=https%3A%2F%2Fopen.spotify.com%2F", WallLogin},
			{"https://accounts.spotify.com/pt-BR/login", WallLogin},
			{"https://accounts.spotify.com/login", WallLogin},
			{"https://challenge.spotify.com/c/0f1e/2d3c/recaptcha", WallCheckpoint},
			{"https://open.spotify.com/playlist/login", WallNone},
		},
		"reddit": {
			{"https://old.reddit.com/prefs/", WallNone},
			{"https://old.reddit.com/login?dest=https%3A%2F%2Fold.reddit.com%2Fprefs%2F", WallLogin},
			{"https://www.reddit.com/login/?dest=https%3A%2F%2Fwww.reddit.com%2Fsettings", WallLogin},
			{"https://www.reddit.com/account/login/", WallLogin},
			{"https://www.reddit.com/r/login/", WallNone},
		},
	}
	set := NewSet()
	for id, chain := range chains {
		d, ok := set.Get(id)
		if !ok {
			t.Fatalf("built-in %q is missing", id)
		}
		t.Run(id, func(t *testing.T) {
			for _, h := range chain {
				if got := d.Verify.Match(h.url); got != h.want {
					t.Errorf("Match(%q) = %q, want %q", h.url, got, h.want)
				}
			}
		})
	}
	for _, d := range Builtins() {
		if _, ok := chains[d.ID]; !ok {
			t.Errorf("built-in %q has no URL chain test", d.ID)
		}
	}
}

func TestBuiltinsConsistent(t *testing.T) {
	seen := make(map[string]bool)
	for _, d := range Builtins() {
		t.Run(d.ID, func(t *testing.T) {
			if seen[d.ID] {
				t.Errorf("id %q appears twice", d.ID)
			}
			seen[d.ID] = true
			if err := Validate(d); err != nil {
				t.Errorf("Validate = %v", err)
			}
			if d.Kind != KindBuiltin || d.Source != KindBuiltin {
				t.Errorf("Kind, Source = %q, %q, want builtin, builtin", d.Kind, d.Source)
			}
			if len(d.AuthCookies) == 0 || d.LoginURL == "" || d.Verify.URL == "" ||
				d.Verify.LoggedInSelector == "" || len(d.Verify.LoginPatterns) == 0 {
				t.Errorf("missing a signal: %+v", d)
			}
			if got := d.Verify.Match(d.Verify.URL); got != WallNone {
				t.Errorf("Match(verify URL %q) = %q, want none", d.Verify.URL, got)
			}
			if got := d.Verify.Match(d.LoginURL); got != WallLogin {
				t.Errorf("Match(login URL %q) = %q, want login", d.LoginURL, got)
			}
		})
	}
}

func TestBuiltinsAreCopies(t *testing.T) {
	a := Builtins()
	a[0].Domains[0] = "changed.example"
	if b := Builtins(); b[0].Domains[0] == "changed.example" {
		t.Errorf("Builtins shares its slices between calls")
	}
}
