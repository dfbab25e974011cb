package relay

import (
	"fmt"
	"os"
	"strings"
)

// BrowserUserDataDir returns the --user-data-dir of the browser that started
// this relay (its parent process), or "" when it used its default.
func BrowserUserDataDir() string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", os.Getppid()))
	if err != nil {
		return ""
	}
	return userDataDirFromArgs(strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"))
}
