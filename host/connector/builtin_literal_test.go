package connector

import (
	"reflect"
	"testing"
)

// TestBuiltinsEqualGoLiterals checks that the built-in definitions are the
// ones the host carried as Go literals before they became data.
func TestBuiltinsEqualGoLiterals(t *testing.T) {
	want := literalBuiltins()
	got := Builtins()
	if len(got) != len(want) {
		t.Fatalf("Builtins() has %d definitions, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("Builtins()[%d] =\n%+v\nwant\n%+v", i, got[i], want[i])
		}
	}
}

// literalBuiltins is the built-in set as Go literals, as builtin.go held it.
func literalBuiltins() []Definition {
	defs := []Definition{
		{
			ID:      "amazon",
			Name:    "Amazon",
			Domains: []string{"amazon.com"},
			// session-id is set for anonymous visitors too; at-main and
			// x-main appear only after signing in.
			AuthCookies: []string{"session-id", "at-main", "x-main"},
			LoginURL:    "https://www.amazon.com/gp/sign-in.html",
			Verify: Verify{
				URL:              "https://www.amazon.com/gp/css/homepage.html",
				LoggedInSelector: "#nav-item-signout, a[href*='/gp/flex/sign-out']",
				LoginSelector:    "#ap_email, form[name='signIn']",
				LoginPatterns:    []string{"/ap/signin", "/gp/sign-in.html"},
				MFAPatterns:      []string{"/ap/mfa"},
				// /ap/cvf is the customer verification flow (a code sent
				// after an unusual sign-in); validateCaptcha is the robot
				// check.
				CheckpointPatterns: []string{"/ap/cvf", "/errors/validateCaptcha"},
			},
		},
		{
			ID:          "github",
			Name:        "GitHub",
			Domains:     []string{"github.com"},
			AuthCookies: []string{"user_session", "__Host-user_session_same_site"},
			LoginURL:    "https://github.com/login",
			Verify: Verify{
				URL: "https://github.com/settings/profile",
				// Signed-out pages carry the meta tag with an empty content.
				LoggedInSelector: "meta[name='user-login']:not([content=''])",
				LoginSelector:    "#login_field",
				// /login and the failed-sign-in /session, but not
				// /login/oauth or /login/device, nor a repository of an
				// account whose name starts with "login".
				LoginPatterns: []string{`re:^github\.com/(?:login|session)/?$`},
				MFAPatterns:   []string{"github.com/sessions/two-factor"},
				// Device verification: a code mailed on a sign-in from a new
				// device.
				CheckpointPatterns: []string{"github.com/sessions/verified-device"},
			},
		},
		{
			ID:      "google",
			Name:    "Google and YouTube",
			Domains: []string{"google.com", "youtube.com"},
			// Both are set on .google.com and .youtube.com once signed in.
			AuthCookies: []string{"SID", "__Secure-1PSID"},
			LoginURL:    "https://accounts.google.com/ServiceLogin",
			Verify: Verify{
				URL:              "https://myaccount.google.com/",
				LoggedInSelector: "a[href*='accounts.google.com/SignOutOptions']",
				// The identifier field of the sign-in page, or YouTube's
				// "Sign in" button, which links to ServiceLogin.
				LoginSelector: "input#identifierId, a[href*='accounts.google.com/ServiceLogin']",
				LoginPatterns: []string{
					"accounts.google.com/ServiceLogin",
					"accounts.google.com/AccountChooser",
					"accounts.google.com/InteractiveLogin",
					"accounts.google.com/v3/signin/",
					"accounts.google.com/signin/",
				},
				// Second-factor steps of the sign-in flow: authenticator
				// code, SMS, phone prompt, security key, backup codes, device
				// prompt, passkey and the choice between them. The password
				// step (challenge/pwd) is part of signing in.
				MFAPatterns: []string{
					`re:^accounts\.google\.com/(?:v3/)?signin/(?:v2/)?challenge/(?:totp|ipp|ipe|az|sk|skotp|bc|dp|ootp|iap|pk|selection)(?:/|$)`,
				},
				CheckpointPatterns: []string{
					"accounts.google.com/signin/rejected",
					"accounts.google.com/v3/signin/rejected",
					"accounts.google.com/signin/v2/deniedsigninrejected",
					"accounts.google.com/speedbump",
					"/challenge/recaptcha",
					// "Our systems have detected unusual traffic".
					"/sorry/index",
				},
				Browser: true,
			},
		},
		{
			ID:          "instagram",
			Name:        "Instagram",
			Domains:     []string{"instagram.com"},
			AuthCookies: []string{"sessionid"},
			LoginURL:    "https://www.instagram.com/accounts/login/",
			Verify: Verify{
				URL:                "https://www.instagram.com/accounts/edit/",
				LoggedInSelector:   "svg[aria-label='Home'], a[href='/direct/inbox/']",
				LoginSelector:      "input[name='username']",
				LoginPatterns:      []string{"instagram.com/accounts/login"},
				MFAPatterns:        []string{"instagram.com/accounts/login/two_factor"},
				CheckpointPatterns: []string{"instagram.com/challenge/", "instagram.com/accounts/suspended"},
				Browser:            true,
			},
		},
		{
			ID:          "linkedin",
			Name:        "LinkedIn",
			Domains:     []string{"linkedin.com"},
			AuthCookies: []string{"li_at"},
			LoginURL:    "https://www.linkedin.com/login",
			Verify: Verify{
				URL:              "https://www.linkedin.com/feed/",
				LoggedInSelector: ".global-nav__me, .feed-identity-module",
				LoginSelector:    "input[name='session_key']",
				// /login, /uas/login and the form posts behind them, the
				// authwall in front of public pages, and the account
				// chooser; not a profile such as /in/loginov.
				LoginPatterns: []string{
					`re:^(?:[a-z0-9-]+\.)*linkedin\.com/(?:uas/)?login(?:-submit)?/?$`,
					"linkedin.com/authwall",
					"linkedin.com/checkpoint/lg/",
					"linkedin.com/checkpoint/rm/sign-in",
				},
				// LinkedIn shows its two-step verification on
				// /checkpoint/challenge too, so it is reported as a
				// checkpoint: the URL cannot tell them apart.
				CheckpointPatterns: []string{"linkedin.com/checkpoint/challenge"},
				Browser:            true,
			},
		},
		{
			ID:      "reddit",
			Name:    "Reddit",
			Domains: []string{"reddit.com"},
			// token_v2 is given to signed-out visitors too.
			AuthCookies: []string{"reddit_session"},
			LoginURL:    "https://www.reddit.com/login/",
			Verify: Verify{
				// The old interface is served as HTML: a plain GET shows
				// whether the session works.
				URL:              "https://old.reddit.com/prefs/",
				LoggedInSelector: "form.logout",
				LoginSelector:    "input[name='passwd']",
				LoginPatterns:    []string{`re:^(?:[a-z0-9-]+\.)*reddit\.com/(?:account/)?login(?:/|$)`},
			},
		},
		{
			ID:          "spotify",
			Name:        "Spotify",
			Domains:     []string{"spotify.com"},
			AuthCookies: []string{"sp_dc"},
			LoginURL:    "https://accounts.spotify.com/login",
			Verify: Verify{
				URL:              "https://open.spotify.com/",
				LoggedInSelector: "button[data-testid='user-widget-link']",
				LoginSelector:    "button[data-testid='login-button'], #login-username",
				// accounts.spotify.com/login, with or without a locale
				// (/en/login, /pt-BR/login).
				LoginPatterns: []string{`re:(?i)^accounts\.spotify\.com/(?:[a-z]{2}(?:-[a-z0-9]{2,4})?/)?login`},
				// challenge.spotify.com hosts the captcha and "confirm it's
				// you" steps.
				CheckpointPatterns: []string{"challenge.spotify.com/"},
				Browser:            true,
			},
		},
		{
			ID:          "x",
			Name:        "X (Twitter)",
			Domains:     []string{"x.com", "twitter.com"},
			AuthCookies: []string{"auth_token"},
			LoginURL:    "https://x.com/i/flow/login",
			Verify: Verify{
				URL:              "https://x.com/home",
				LoggedInSelector: "a[data-testid='AppTabBar_Profile_Link'], [data-testid='SideNav_AccountSwitcher_Button']",
				LoginSelector:    "input[autocomplete='username']",
				// /login and /i/flow/login, not an account named "login…".
				LoginPatterns: []string{`re:^(?:[a-z0-9-]+\.)*(?:x|twitter)\.com/(?:i/flow/)?login(?:/|$)`},
				MFAPatterns:   []string{`re:^(?:[a-z0-9-]+\.)*(?:x|twitter)\.com/account/login_verification`},
				// A locked account, and the older sign-in challenge.
				CheckpointPatterns: []string{
					`re:^(?:[a-z0-9-]+\.)*(?:x|twitter)\.com/account/(?:access|login_challenge)`,
				},
				Browser: true,
			},
		},
	}
	for i := range defs {
		defs[i].Kind = KindBuiltin
		defs[i].Source = KindBuiltin
	}
	return defs
}
