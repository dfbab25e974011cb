package verify

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/authbridge/authbridge/host/connector"
)

// siteFixtures are small pages in the shape each site serves: a signed-in
// page, and its sign-in form. They check that every built-in definition's
// selectors tell the two apart.
var siteFixtures = map[string]struct{ signedIn, signIn string }{
	"amazon": {
		`<div id="nav-tools"><a id="nav-item-signout" href="/gp/flex/sign-out.html?action=sign-out">Sign Out</a></div>`,
		`<form name="signIn" method="post" action="/ap/signin"><input type="email" id="ap_email" name="email"><input type="password" id="ap_password"></form>`,
	},
	"github": {
		`<head><meta name="user-login" content="octocat"></head><body><summary aria-label="View profile and more"></summary></body>`,
		`<head><meta name="user-login" content=""></head><body><form action="/session"><input id="login_field" name="login"><input type="password" name="password"></form></body>`,
	},
	"google": {
		`<header><a href="https://accounts.google.com/SignOutOptions?hl=en&amp;continue=https://myaccount.google.com/">Ada</a></header>`,
		`<form><input type="email" id="identifierId" name="identifier"></form>`,
	},
	"instagram": {
		`<nav><a href="/direct/inbox/">Messages</a><svg aria-label="Home"></svg></nav>`,
		`<form id="loginForm"><input name="username"><input type="password" name="password"></form>`,
	},
	"linkedin": {
		`<header><div class="global-nav__me"><img alt="Ada"></div></header><aside class="feed-identity-module"></aside>`,
		`<form class="login__form" action="/checkpoint/lg/login-submit"><input id="username" name="session_key"><input type="password" name="session_password"></form>`,
	},
	"reddit": {
		`<div id="header-bottom-right"><form class="logout hover" action="/logout" method="post"><a href="javascript:void(0)">logout</a></form></div>`,
		`<form id="login_login-main" action="/post/login"><input name="user"><input type="password" name="passwd"></form>`,
	},
	"spotify": {
		`<header><button data-testid="user-widget-link" aria-label="Ada"></button></header>`,
		`<form><input id="login-username" autocomplete="username"><input type="password" id="login-password"><button data-testid="login-button">Log In</button></form>`,
	},
	"x": {
		`<nav><a data-testid="AppTabBar_Profile_Link" href="/ada">Profile</a></nav><div data-testid="SideNav_AccountSwitcher_Button"></div>`,
		`<div><input autocomplete="username" name="text"></div>`,
	},
}

func matches(t *testing.T, html, selector string) bool {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatal(err)
	}
	return doc.Find(selector).Length() > 0
}

func TestBuiltinSelectorsOnSiteFixtures(t *testing.T) {
	for _, def := range connector.Builtins() {
		fx, ok := siteFixtures[def.ID]
		if !ok {
			t.Errorf("built-in %s has no page fixtures", def.ID)
			continue
		}
		t.Run(def.ID, func(t *testing.T) {
			v := def.Verify
			login := v.LoginSelector
			if login == "" {
				login = DefaultLoginSelector
			}
			if !matches(t, fx.signedIn, v.LoggedInSelector) {
				t.Errorf("logged_in_selector %q misses the signed-in page", v.LoggedInSelector)
			}
			if matches(t, fx.signIn, v.LoggedInSelector) {
				t.Errorf("logged_in_selector %q matches the sign-in page", v.LoggedInSelector)
			}
			if !matches(t, fx.signIn, login) {
				t.Errorf("login selector %q misses the sign-in page", login)
			}
			if matches(t, fx.signedIn, login) {
				t.Errorf("login selector %q matches the signed-in page", login)
			}
		})
	}
}
