package install

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// firefoxMachine is a fake home where Firefox has a profile (the path Firefox
// 147+ uses for new profiles, so detection must know it too).
func firefoxMachine(t *testing.T) (machine, Options) {
	t.Helper()
	m := newMachine(t)
	touch(t, m.home, ".config/mozilla/firefox/profiles.ini", "[General]\n")
	return m, m.opts()
}

func firefoxManifest(m machine) string {
	return filepath.Join(m.home, ".mozilla/native-messaging-hosts/com.authbridge.host.json")
}

func TestDetectFirefoxProfileLocations(t *testing.T) {
	for _, rel := range []string{".mozilla/firefox/profiles.ini", ".config/mozilla/firefox/profiles.ini", ".librewolf/profiles.ini"} {
		m := newMachine(t)
		touch(t, m.home, rel, "[General]\n")
		var names []string
		for _, f := range Detect(m.opts()) {
			names = append(names, f.Browser)
		}
		want := "firefox"
		if strings.HasPrefix(rel, ".librewolf") {
			want = "librewolf"
		}
		if strings.Join(names, ",") != want {
			t.Errorf("Detect with ~/%s = %v, want [%s]", rel, names, want)
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
