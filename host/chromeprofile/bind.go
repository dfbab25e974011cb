package chromeprofile

import (
	"errors"
	"fmt"
	"strings"

	"github.com/authbridge/authbridge/host/apitype"
)

// How a Binding was made.
const (
	// MethodCookieMatch: the live persistent cookies matched this
	// profile's cookie store clearly better than any other's.
	MethodCookieMatch = "cookie-match"
	// MethodOnlyProfile: there was a single candidate.
	MethodOnlyProfile = "only-profile"
	// MethodLastUsed: no evidence decided; Local State's last_used profile
	// was assumed.
	MethodLastUsed = "last-used (assumed)"
	// MethodDefault: no evidence decided and Local State named no
	// candidate; the Default profile was assumed.
	MethodDefault = "default (assumed)"
)

// ErrNoProfile is returned by Bind when there is no candidate to bind to.
var ErrNoProfile = errors.New("no browser profile to bind")

// Binding says which profile folder a bridge serves and how that is known.
type Binding struct {
	ProfileDir  string `json:"profileDir"`
	UserDataDir string `json:"userDataDir"`
	// CookieStore is the profile's cookie database, the file to watch.
	CookieStore string `json:"cookieStore"`
	Method      string `json:"method"`
	// Evidence says in a sentence what decided, for status output.
	Evidence string `json:"evidence"`
	// Matched is how many of the Considered live persistent cookies were
	// found, with the same expiry, in the chosen store.
	Matched    int `json:"matched"`
	Considered int `json:"considered"`
	// RunnerUp is the best score of any other candidate.
	RunnerUp int `json:"runnerUp"`
}

// Assumed reports whether the binding is a guess rather than evidence.
func (b Binding) Assumed() bool { return b.Method == MethodLastUsed || b.Method == MethodDefault }

// cookieKey identifies a persistent cookie across the live and the stored
// view: domain, name, path and expiry to the second.
type cookieKey struct {
	domain, name, path string
	expiry             int64
}

func liveKey(m apitype.CookieMeta) cookieKey {
	return cookieKey{strings.ToLower(m.Domain), m.Name, m.Path, expirySecond(m.ExpirationDate)}
}

func storedKey(c StoredCookie) cookieKey {
	return cookieKey{strings.ToLower(c.HostKey), c.Name, c.Path, c.Expires.Unix()}
}

// clearWinner is the margin Bind requires: the best store must match at
// least one cookie and at least twice as many as the runner-up.
func clearWinner(best, second int) bool { return best > 0 && best >= 2*second && best > second }

// Bind chooses which of candidates the live cookies (as the extension read
// them with chrome.cookies in the profile it runs in) come from. Each
// candidate's cookie store is read, and the live persistent cookies whose
// (domain, name, path, expiry to the second) it holds are counted; session
// cookies are ignored (Chrome does not keep them on disk). The candidate
// with the most matches wins when the margin is clear (at least twice the
// runner-up). Otherwise a single candidate is taken as it is, then Local
// State's last_used profile, then Default, and the binding says it was
// assumed. Chrome writes its store up to 30 seconds after a change, so a
// cookie set moments ago may not match yet; the rest still do.
func Bind(candidates []Profile, live []apitype.CookieMeta) (Binding, error) {
	return BindWith(candidates, live, ReadCookieMeta)
}

// BindWith is Bind with the function that reads a candidate's cookie store,
// for stores of other browsers (Firefox's cookies.sqlite).
func BindWith(candidates []Profile, live []apitype.CookieMeta, read func(path string, domains []string) ([]StoredCookie, error)) (Binding, error) {
	if len(candidates) == 0 {
		return Binding{}, ErrNoProfile
	}
	want := map[cookieKey]bool{}
	for _, m := range live {
		if !m.Session && m.ExpirationDate > 0 {
			want[liveKey(m)] = true
		}
	}
	scores := make([]int, len(candidates))
	var unread []string
	if len(want) > 0 {
		for i, p := range candidates {
			stored, err := read(p.CookieStore, nil)
			if err != nil {
				unread = append(unread, p.Name)
				continue
			}
			seen := map[cookieKey]bool{}
			for _, c := range stored {
				k := storedKey(c)
				if want[k] && !seen[k] {
					seen[k] = true
					scores[i]++
				}
			}
		}
	}
	best, second := -1, 0
	for i, s := range scores {
		if best < 0 || s > scores[best] {
			best = i
		}
	}
	for i, s := range scores {
		if i != best && s > second {
			second = s
		}
	}
	b := bindingFor(candidates[best])
	b.Considered, b.Matched, b.RunnerUp = len(want), scores[best], second
	if clearWinner(scores[best], second) {
		b.Method = MethodCookieMatch
		b.Evidence = fmt.Sprintf("%d of %d live persistent cookies (domain, name, path, expiry) are in %s; the next best profile has %d",
			scores[best], len(want), b.CookieStore, second)
		return b, nil
	}
	why := "no live persistent cookies to compare"
	if len(want) > 0 {
		why = fmt.Sprintf("cookies did not decide (best %d, runner-up %d of %d)", scores[best], second, len(want))
	}
	if len(unread) > 0 {
		why += "; unreadable stores: " + strings.Join(unread, ", ")
	}
	if len(candidates) == 1 {
		b.Method = MethodOnlyProfile
		b.Evidence = "the only profile found; " + why
		return b, nil
	}
	for _, p := range candidates {
		if p.LastUsed {
			b = bindingFor(p)
			b.Considered, b.Matched, b.RunnerUp = len(want), scores[indexOf(candidates, p)], 0
			b.Method = MethodLastUsed
			b.Evidence = "assumed Local State's last used profile " + p.Name + "; " + why
			return b, nil
		}
	}
	for _, p := range candidates {
		if p.Name == "Default" {
			b = bindingFor(p)
			b.Considered, b.Matched, b.RunnerUp = len(want), scores[indexOf(candidates, p)], 0
			b.Method = MethodDefault
			b.Evidence = "assumed the Default profile; " + why
			return b, nil
		}
	}
	return Binding{}, fmt.Errorf("%w: %s, and neither a last used nor a Default profile among %d candidates", ErrNoProfile, why, len(candidates))
}

func indexOf(ps []Profile, p Profile) int {
	for i := range ps {
		if ps[i].Dir == p.Dir {
			return i
		}
	}
	return 0
}

func bindingFor(p Profile) Binding {
	return Binding{ProfileDir: p.Dir, UserDataDir: p.UserDataDir, CookieStore: p.CookieStore}
}
