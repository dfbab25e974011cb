package cli

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestTermWriterEscapes(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text and layout", "a\tb\nc é 日本\n", "a\tb\nc é 日本\n"},
		{"escape sequence", "x\x1b[2J\x1b]0;pwned\x07y", `x\u001b[2J\u001b]0;pwned\u0007y`},
		{"carriage return and DEL", "ok\rfake\x7f", `ok\u000dfake\u007f`},
		{"C1 control", "a\u009bb", `a\u009bb`},
		{"bidi override", "a\u202eb\u2066c", `a\u202eb\u2066c`},
		{"invalid UTF-8", "a\xffb", `a\xffb`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			w := newTermWriter(&b)
			if n, err := w.Write([]byte(tt.in)); err != nil || n != len(tt.in) {
				t.Fatalf("Write = %d, %v", n, err)
			}
			if b.String() != tt.want {
				t.Errorf("wrote %q, want %q", b.String(), tt.want)
			}
		})
	}
}

func TestTermWriterSplitRuneAndJSON(t *testing.T) {
	var b bytes.Buffer
	w := newTermWriter(&b)
	s := []byte("é\u202e")
	for i := range s {
		w.Write(s[i : i+1])
	}
	if b.String() != `é\u202e` {
		t.Errorf("a rune split across writes came out %q", b.String())
	}
	// JSON stays valid and means the same.
	b.Reset()
	js, _ := json.Marshal(map[string]string{"name": "x\u202ey\u0085"})
	w.Write(js)
	var m map[string]string
	if err := json.Unmarshal(b.Bytes(), &m); err != nil || m["name"] != "x\u202ey\u0085" {
		t.Errorf("escaped JSON %s decodes to %v, %v", b.String(), m, err)
	}
}
