package taxonomy

import (
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// RegexpPrefix marks a URL pattern that is a Go regular expression.
const RegexpPrefix = "re:"

// MatchPattern reports whether a connector's URL pattern matches rawURL.
// Patterns are matched against the URL's lower-case host name (no port)
// followed by its decoded path ("/" when empty); query and fragment are
// left out. A plain pattern is a substring, ignoring letter case; one that
// starts with "re:" is a Go regular expression searched in that string. An
// empty or invalid pattern, or a URL without a host, matches nothing; a URL
// without a scheme is read as https. This is the one matcher: connector
// definitions and the classifier both use it.
func MatchPattern(pattern, rawURL string) bool {
	if pattern == "" {
		return false
	}
	subject, ok := patternSubject(rawURL)
	if !ok {
		return false
	}
	if expr, ok := strings.CutPrefix(pattern, RegexpPrefix); ok {
		if expr == "" {
			return false
		}
		re, err := CompilePattern(expr)
		return err == nil && re.MatchString(subject)
	}
	return strings.Contains(strings.ToLower(subject), strings.ToLower(pattern))
}

// patternSubject is the string patterns are matched against.
func patternSubject(rawURL string) (string, bool) {
	if !strings.Contains(rawURL, "://") {
		rawURL = "https://" + rawURL
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return "", false
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	return strings.ToLower(u.Hostname()) + path, true
}

// patternCache holds compiled regular expressions by source. Patterns come
// from connector definitions, so the real number is small; the cache stops
// growing at maxCachedPatterns all the same.
var patternCache struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}

const maxCachedPatterns = 1024

// CompilePattern compiles the regular expression of a "re:" pattern (without
// the prefix), caching it.
func CompilePattern(expr string) (*regexp.Regexp, error) {
	patternCache.Lock()
	re, ok := patternCache.m[expr]
	patternCache.Unlock()
	if ok {
		return re, nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	patternCache.Lock()
	if patternCache.m == nil {
		patternCache.m = make(map[string]*regexp.Regexp)
	}
	if len(patternCache.m) < maxCachedPatterns {
		patternCache.m[expr] = re
	}
	patternCache.Unlock()
	return re, nil
}
