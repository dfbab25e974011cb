package relay

import "strings"

// CallerFromArgs returns the identity of the extension that started the
// host, from the browser's arguments:
//   - Chromium browsers pass the caller's origin, chrome-extension://<id>/
//     (argv[1]; Windows adds --parent-window=);
//   - Firefox passes argv[1] = the path of the host manifest it read and
//     argv[2] = the extension's gecko id (name@domain or {GUID}); the gecko
//     id is the identity, since moz-extension:// origins are random per
//     profile.
//
// It returns "" when the arguments are neither.
func CallerFromArgs(args []string) string {
	if o := OriginFromArgs(args); o != "" {
		return o
	}
	if id, ok := firefoxCaller(args); ok {
		return id
	}
	return ""
}

// firefoxCaller recognises Firefox's argv: a manifest path ending in .json,
// then a non-flag extension id.
func firefoxCaller(args []string) (string, bool) {
	if len(args) < 2 {
		return "", false
	}
	if !strings.HasSuffix(strings.ToLower(args[0]), ".json") || args[1] == "" || strings.HasPrefix(args[1], "-") {
		return "", false
	}
	return args[1], true
}

// IsGeckoCaller reports whether a caller identity is a Firefox extension id
// rather than a chrome-extension:// origin.
func IsGeckoCaller(caller string) bool {
	return caller != "" && !strings.HasPrefix(caller, "chrome-extension://")
}
