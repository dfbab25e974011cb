package bridge

import "unicode/utf8"

// MaxUserAgent is the most of a hello's user_agent the agent keeps and
// echoes in status answers; the rest is cut.
const MaxUserAgent = 512

// MaxOrigins is the most granted origins the agent keeps of one bridge.
const MaxOrigins = 4096

// CapOrigins keeps at most MaxOrigins origins, each at most 512 bytes.
func CapOrigins(in []string) []string {
	out := make([]string, 0, min(len(in), MaxOrigins))
	for _, o := range in {
		if len(out) == MaxOrigins {
			break
		}
		out = append(out, CapField(o, 512))
	}
	return out
}

// CapField cuts s to at most n bytes without splitting a UTF-8 sequence and
// drops control characters, so that a hostile hello cannot inflate every
// status answer or a terminal.
func CapField(s string, n int) string {
	var out []rune
	size := 0
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			continue
		}
		l := utf8.RuneLen(r)
		if l < 0 || size+l > n {
			break
		}
		size += l
		out = append(out, r)
	}
	return string(out)
}
