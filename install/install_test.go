package install

import (
	"os"
	"strings"
	"testing"
)

func TestUninstallLeavesForeignManifests(t *testing.T) {
	m := newMachine(t)
	touch(t, m.home, ".config/chromium/Local State", "{}")
	file := touch(t, m.home, ".config/chromium/NativeMessagingHosts/com.authbridge.host.json", `{"name":"com.someone.else"}`)
	rep, err := Uninstall(m.opts())
	if err != nil || actions(rep) != "chromium:skipped" {
		t.Errorf("Uninstall = %s, %v", actions(rep), err)
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("Uninstall removed a foreign manifest: %v", err)
	}
}

func TestDetect(t *testing.T) {
	m := newMachine(t)
	touch(t, m.home, ".config/chromium/Default/Cookies", "")
	touch(t, m.root, "opt/google/chrome/chrome", "")
	// A NativeMessagingHosts folder alone does not mean the browser is installed.
	touch(t, m.home, ".config/vivaldi/NativeMessagingHosts/x.json", "{}")
	var got []string
	for _, f := range Detect(m.opts()) {
		got = append(got, f.Browser+":"+f.Variant)
	}
	if strings.Join(got, " ") != "chrome:native chromium:native" {
		t.Errorf("Detect = %v", got)
	}
}
