package verify

import (
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/cookies"
	"github.com/authbridge/authbridge/taxonomy"
)

// preflight sorts the definition's auth cookie names into present, absent
// and expired among the given cookies. A cookie with an empty value counts
// as absent (sites sign out by blanking the cookie). Only names are kept.
func preflight(authCookies []string, cs []apitype.Cookie, now time.Time) (present, absent, expired []string) {
	for _, name := range authCookies {
		state := "absent"
		for _, c := range cs {
			if c.Name != name || c.Value == "" {
				continue
			}
			if cookies.Expired(c, now) {
				state = "expired"
				continue
			}
			state = "present"
			break
		}
		switch state {
		case "present":
			present = append(present, name)
		case "expired":
			expired = append(expired, name)
		default:
			absent = append(absent, name)
		}
	}
	return present, absent, expired
}

// patternsOf copies a definition's patterns into the taxonomy's form.
func patternsOf(login, mfa, checkpoint []string) taxonomy.Patterns {
	return taxonomy.Patterns{Login: login, MFA: mfa, Checkpoint: checkpoint}
}
