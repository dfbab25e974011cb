package procinfo

import "testing"

func TestCleanCutsAndDropsControls(t *testing.T) {
	for _, c := range []struct {
		in, want string
		n        int
	}{
		{"a\x1b[31mb", "a[31mb", 100},
		{"héllo", "hé", 3},
		{"abc", "abc", 3},
	} {
		if got := clean(c.in, c.n); got != c.want {
			t.Errorf("clean(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
	if got := joinArgs([]string{"node", "run.js", "a b"}); got != `node run.js "a b"` {
		t.Errorf("joinArgs = %q", got)
	}
}
