package connector

import (
	"fmt"
	"strings"

	"github.com/authbridge/authbridge/taxonomy"
)

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
// described in the package documentation (taxonomy.MatchPattern, the one
// matcher the classifier uses too).
func MatchPattern(pattern, rawURL string) bool { return taxonomy.MatchPattern(pattern, rawURL) }

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

// checkPattern says what is wrong with a pattern, or returns nil.
func checkPattern(p string) error {
	if strings.TrimSpace(p) == "" {
		return fmt.Errorf("is empty")
	}
	if expr, ok := strings.CutPrefix(p, taxonomy.RegexpPrefix); ok {
		if expr == "" {
			return fmt.Errorf("is an empty regular expression")
		}
		if _, err := taxonomy.CompilePattern(expr); err != nil {
			return fmt.Errorf("%q is not a valid regular expression: %v", p, err)
		}
	}
	return nil
}
