package relay

import "testing"

func TestUserDataDirFromArgs(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"/usr/lib/chromium/chromium", "--user-data-dir=/tmp/p", "--headless=new"}, "/tmp/p"},
		{[]string{"chrome", "--user-data-dir", "/x y"}, "/x y"},
		{[]string{"chrome", "--profile-directory=Profile 2"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := userDataDirFromArgs(tt.args); got != tt.want {
			t.Errorf("userDataDirFromArgs(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestOriginFromArgs(t *testing.T) {
	if got := OriginFromArgs([]string{"--parent-window=12", "chrome-extension://abc/"}); got != "chrome-extension://abc/" {
		t.Errorf("OriginFromArgs = %q", got)
	}
}
