package verify

import (
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/taxonomy"
)

// SignedOut classifies a session that a site signed out although the
// cookies were sent (a drop-in run whose page asks for a sign-in): the
// preflight's PROFILE_COOKIE_MISSING when one of the connector's auth
// cookies is absent or expired among cookies, else SESSION_EXPIRED with
// detail login_form (the auth cookies were there and the site asked for a
// sign-in). The values are not looked at beyond being empty or not (an
// empty one counts as absent, as in the preflight).
func SignedOut(def connector.Definition, cookies []apitype.Cookie, opts Options) taxonomy.Result {
	p := &probe{def: def, cookies: cookies, opts: opts.withDefaults(), started: time.Now()}
	if r, failed := p.preflight(); failed {
		return r.Result
	}
	name := def.Name
	if name == "" {
		name = def.ID
	}
	return taxonomy.NewResult(taxonomy.SessionExpired, taxonomy.DetailLoginForm, 0, nil, name)
}
