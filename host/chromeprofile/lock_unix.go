//go:build !windows

package chromeprofile

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// profileInUse reports whether a running browser holds the user-data-dir.
// Chrome on Linux and macOS keeps a SingletonLock symlink whose target is
// "<hostname>-<pid>"; a lock whose process is gone on this host is stale,
// and Chrome takes it over.
func profileInUse(userDataDir string) (bool, string) {
	target, err := os.Readlink(filepath.Join(userDataDir, "SingletonLock"))
	if err != nil {
		return false, ""
	}
	i := strings.LastIndexByte(target, '-')
	if i < 0 {
		return true, "SingletonLock " + target
	}
	host, pidText := target[:i], target[i+1:]
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		return true, "SingletonLock " + target
	}
	if me, err := os.Hostname(); err == nil && me != host {
		return true, "SingletonLock held by host " + host
	}
	if err := unix.Kill(pid, 0); err != nil && errors.Is(err, unix.ESRCH) {
		return false, ""
	}
	return true, "SingletonLock held by process " + pidText
}
