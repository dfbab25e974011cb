package connector

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// regexpPrefix marks a pattern that is a Go regular expression.
const regexpPrefix = "re:"

// Wall is the kind of page that stands between a probe and the signed-in
// page, as recognised by a definition's verify patterns.
type Wall string

// The walls Verify.Match reports.
const (
	// WallNone: no pattern matched.
	WallNone Wall = ""
	// WallLogin: a sign-in page (login_patterns).
	WallLogin Wall = "login"
	// WallMFA: a second-factor page (mfa_patterns).
	WallMFA Wall = "mfa"
	// WallCheckpoint: a checkpoint, lock or captcha page
	// (checkpoint_patterns).
	WallCheckpoint Wall = "checkpoint"
)

// MatchPattern reports whether pattern matches rawURL, in the pattern syntax
// described in the package documentation. An empty or invalid pattern, or a
// URL without a host, matches nothing. A URL without a scheme is read as
// https.
func MatchPattern(pattern, rawURL string) bool {
	if pattern == "" {
		return false
	}
	subject, ok := patternSubject(rawURL)
	if !ok {
		return false
	}
	if expr, ok := strings.CutPrefix(pattern, regexpPrefix); ok {
		re, err := compilePattern(expr)
		if err != nil {
			return false
		}
		return re.MatchString(subject)
	}
	return strings.Contains(strings.ToLower(subject), strings.ToLower(pattern))
}

// Match reports which wall rawURL is, trying the MFA patterns first, then the
// checkpoint patterns, then the login patterns.
func (v Verify) Match(rawURL string) Wall {
	switch {
	case v.MatchesMFA(rawURL):
		return WallMFA
	case v.MatchesCheckpoint(rawURL):
		return WallCheckpoint
	case v.MatchesLogin(rawURL):
		return WallLogin
	}
	return WallNone
}

// MatchesLogin reports whether rawURL matches one of the login patterns.
func (v Verify) MatchesLogin(rawURL string) bool { return matchAny(v.LoginPatterns, rawURL) }

// MatchesMFA reports whether rawURL matches one of the MFA patterns.
func (v Verify) MatchesMFA(rawURL string) bool { return matchAny(v.MFAPatterns, rawURL) }

// MatchesCheckpoint reports whether rawURL matches one of the checkpoint
// patterns.
func (v Verify) MatchesCheckpoint(rawURL string) bool {
	return matchAny(v.CheckpointPatterns, rawURL)
}

func matchAny(patterns []string, rawURL string) bool {
	for _, p := range patterns {
		if MatchPattern(p, rawURL) {
			return true
		}
	}
	return false
}

// patternSubject is the string patterns are matched against: the lowercased
// host name followed by the decoded path.
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

// checkPattern says what is wrong with a pattern, or returns nil.
func checkPattern(p string) error {
	if strings.TrimSpace(p) == "" {
		return fmt.Errorf("is empty")
	}
	if expr, ok := strings.CutPrefix(p, regexpPrefix); ok {
		if expr == "" {
			return fmt.Errorf("is an empty regular expression")
		}
		if _, err := compilePattern(expr); err != nil {
			return fmt.Errorf("%q is not a valid regular expression: %v", p, err)
		}
	}
	return nil
}

// patternCache holds compiled regular expressions by source. It stops
// growing at maxCachedPatterns; patterns come from definitions, so the real
// number is small.
var patternCache struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}

const maxCachedPatterns = 1024

func compilePattern(expr string) (*regexp.Regexp, error) {
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
