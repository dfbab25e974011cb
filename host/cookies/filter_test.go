package cookies

import "github.com/authbridge/authbridge/host/apitype"

// Filter (for the tests) returns the cookies of cs whose domain is in scope (see InScope), in
// their input order. It never returns a slice that shares memory with cs.
func Filter(cs []apitype.Cookie, scopes []string) []apitype.Cookie {
	ss := newScopeSet(scopes)
	out := make([]apitype.Cookie, 0, len(cs))
	for _, c := range cs {
		if ss.has(c.Domain) {
			out = append(out, c)
		}
	}
	return out
}
