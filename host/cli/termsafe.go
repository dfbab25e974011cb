package cli

import (
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// termWriter escapes what a terminal would act on: control characters
// other than tab and newline (ESC, CR, BEL, the C1 range), the bidi
// overrides and isolates, and bytes that are not UTF-8. Each becomes a
// \uXXXX (or \xNN) escape, which keeps JSON output valid and equal in meaning,
// so every command's stdout and stderr go through it: a connector named with
// escape codes is shown, never obeyed.
type termWriter struct {
	w       io.Writer
	pending []byte // an incomplete UTF-8 sequence from the last Write
}

func newTermWriter(w io.Writer) *termWriter { return &termWriter{w: w} }

// Write escapes p and writes it; it reports len(p) when the underlying
// write succeeds.
func (t *termWriter) Write(p []byte) (int, error) {
	in := p
	if len(t.pending) > 0 {
		in = append(t.pending, p...)
		t.pending = nil
	}
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); {
		c := in[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != 0x7f || c == '\n' || c == '\t' {
				out = append(out, c)
			} else {
				out = fmt.Appendf(out, `\u%04x`, c)
			}
			i++
			continue
		}
		if !utf8.FullRune(in[i:]) && len(in)-i < utf8.UTFMax {
			t.pending = append([]byte(nil), in[i:]...)
			break
		}
		r, n := utf8.DecodeRune(in[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			out = fmt.Appendf(out, `\x%02x`, in[i])
		case unsafeRune(r):
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, in[i:i+n]...)
		}
		i += n
	}
	if _, err := t.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// unsafeRune reports a non-ASCII rune a terminal would act on or that
// reorders the text around it.
func unsafeRune(r rune) bool {
	return unicode.Is(unicode.Cc, r) || r == '\u2028' || r == '\u2029' ||
		(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}
