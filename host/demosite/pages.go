package demosite

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"sync"
)

// pageData is what every page template may use.
type pageData struct {
	Title    string
	User     string
	Username string // the user name typed into a failed sign-in
	Next     string
	Error    string
	Variant  string // /app: "v1" builds #account-name, "v2" the redesign
	Status   int
}

const layout = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Demo Site</title>
<style>
  :root { color-scheme: light; --accent: #3b5bdb; --ink: #1f2430; --muted: #5c6370; --line: #dde1e8; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         color: var(--ink); background: #f4f6fa; }
  header { background: #fff; border-bottom: 1px solid var(--line); padding: 14px 24px;
           display: flex; align-items: center; justify-content: space-between; }
  .brand { font-weight: 700; color: var(--ink); text-decoration: none; letter-spacing: .2px; }
  .brand span { color: var(--accent); }
  main { max-width: 420px; margin: 48px auto; padding: 0 16px; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 28px;
          box-shadow: 0 1px 3px rgba(20, 30, 60, .06); }
  h1 { font-size: 22px; margin: 0 0 16px; }
  p { color: var(--muted); margin: 0 0 16px; }
  label { display: block; font-weight: 600; font-size: 14px; margin: 12px 0 4px; }
  input[type=text], input[type=password] { width: 100%; padding: 10px 12px; font: inherit;
          border: 1px solid var(--line); border-radius: 6px; }
  input:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
  button { margin-top: 20px; width: 100%; padding: 10px 14px; font: inherit; font-weight: 600;
           color: #fff; background: var(--accent); border: 0; border-radius: 6px; cursor: pointer; }
  button.secondary { background: #fff; color: var(--ink); border: 1px solid var(--line); }
  .error { color: #b42318; background: #fef3f2; border: 1px solid #fecdca; border-radius: 6px;
           padding: 8px 12px; }
  .who { font-size: 20px; font-weight: 600; color: var(--ink); }
  .badge { display: inline-block; font-size: 12px; padding: 2px 8px; border-radius: 999px;
           background: #e7f5ec; color: #1e7b45; }
  .hint { font-size: 13px; }
  a { color: var(--accent); }
</style>
</head>
<body>
<header><a class="brand" href="/">Demo<span>Site</span></a>{{block "nav" .}}{{end}}</header>
<main><div class="card">{{block "content" .}}{{end}}</div></main>
</body>
</html>
`

var (
	homePage = page(`{{define "content"}}
<h1>Welcome to the Demo Site</h1>
{{if .User}}<p>You are signed in as <strong>{{.User}}</strong>.</p>
<p><a href="/account">Go to your account</a></p>
{{else}}<p>A small site for trying authbridge: sign in here, then let your connectors use the session.</p>
<p><a href="/login">Sign in</a></p>{{end}}
{{end}}`)

	loginPage = page(`{{define "content"}}
<h1>Sign in</h1>
{{if .Error}}<p id="login-error" class="error" role="alert">{{.Error}}</p>{{end}}
<form id="login-form" method="post" action="/login">
  <input type="hidden" name="next" value="{{.Next}}">
  <label for="username">User name</label>
  <input type="text" id="username" name="username" value="{{.Username}}" autocomplete="username" required autofocus>
  <label for="password">Password</label>
  <input type="password" id="password" name="password" autocomplete="current-password" required>
  <button type="submit" id="sign-in">Sign in</button>
</form>
<p class="hint" style="margin-top:16px">Any user name works with the password <code>demo</code>.</p>
{{end}}`)

	accountPage = page(`{{define "nav"}}<form method="post" action="/logout" style="margin:0">
<button type="submit" id="sign-out" class="secondary" style="margin:0;width:auto;padding:6px 12px">Sign out</button></form>{{end}}
{{define "content"}}
<h1>Your account</h1>
<p>Signed in as</p>
<p class="who"><span id="account-name">{{.User}}</span> <span class="badge">active</span></p>
<p>Your data export is ready whenever a connector asks for it.</p>
{{end}}`)

	// accountPageV2 is the "redesign": still signed in, but the element the
	// connector looks for (#account-name) is gone.
	accountPageV2 = page(`{{define "nav"}}<form method="post" action="/logout" style="margin:0">
<button type="submit" class="secondary" style="margin:0;width:auto;padding:6px 12px">Log out</button></form>{{end}}
{{define "content"}}
<h1>Profile</h1>
<div class="profile-v2">
  <p>Hello,</p>
  <p class="who"><span class="user-name-v2">{{.User}}</span></p>
  <p>We refreshed our look. Everything else is where you left it.</p>
</div>
{{end}}`)

	appPage = page(`{{define "nav"}}<form method="post" action="/logout" style="margin:0">
<button type="submit" id="sign-out" class="secondary" style="margin:0;width:auto;padding:6px 12px">Sign out</button></form>{{end}}
{{define "content"}}
<h1>Your account</h1>
<div id="root" data-variant="{{.Variant}}"><p>Loading…</p></div>
<script>
window.addEventListener("load", async () => {
  const root = document.getElementById("root");
  const res = await fetch("/api/me", {credentials: "same-origin"});
  if (res.status === 401) { location.href = "/login?next=/app"; return; }
  const me = await res.json();
  const name = document.createElement("span");
  if (root.dataset.variant === "v2") { name.className = "user-name-v2"; } else { name.id = "account-name"; }
  name.textContent = me.user;
  const who = document.createElement("p");
  who.className = "who";
  who.append(name);
  const intro = document.createElement("p");
  intro.textContent = "Signed in as";
  root.replaceChildren(intro, who);
});
</script>
{{end}}`)

	twoFactorPage = page(`{{define "content"}}
<h1>Two-step verification</h1>
<p>Enter the 6-digit code from your authenticator app to continue.</p>
{{if .Error}}<p id="code-error" class="error" role="alert">{{.Error}}</p>{{end}}
<form id="two-factor-form" method="post" action="/two-factor">
  <input type="hidden" name="next" value="{{.Next}}">
  <label for="code">Code</label>
  <input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus>
  <button type="submit" id="verify-code">Verify</button>
</form>
<p class="hint" style="margin-top:16px">The demo code is <code>123456</code>.</p>
{{end}}`)

	checkpointPage = page(`{{define "content"}}
<h1>We noticed unusual activity</h1>
<p>Someone signed in to your account from a device we don't recognise. To keep your account safe, confirm it was you.</p>
<form id="checkpoint-form" method="post" action="/checkpoint/verify">
  <input type="hidden" name="next" value="{{.Next}}">
  <button type="submit" id="confirm-identity">Yes, it was me</button>
</form>
{{end}}`)

	errorPage = page(`{{define "content"}}
<h1>{{.Status}} {{.Title}}</h1>
<p>Something went wrong on our side. Please try again in a little while.</p>
{{end}}`)
)

// base is the parsed layout, built on first use (not at package init: the
// demo site is linked into every command).
var base = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("layout").Parse(layout))
})

// page returns the layout with one page's blocks defined, parsed on first
// use.
func page(blocks string) func() *template.Template {
	return sync.OnceValue(func() *template.Template {
		return template.Must(template.Must(base().Clone()).Parse(blocks))
	})
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 rather than half a page.
func (s *Site) render(w http.ResponseWriter, status int, t *template.Template, d pageData) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		http.Error(w, "render page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	buf.WriteTo(w) //nolint:errcheck // the client went away
}
