//go:build windows

package chromeprofile

import (
	"os"
	"path/filepath"
)

// profileInUse reports whether a running browser holds the user-data-dir.
// Chrome on Windows keeps "lockfile" open without sharing deletion while it
// runs, so removing the file fails exactly when the profile is in use (Chrome
// recreates it on start).
func profileInUse(userDataDir string) (bool, string) {
	p := filepath.Join(userDataDir, "lockfile")
	if _, err := os.Stat(p); err != nil {
		return false, ""
	}
	if err := os.Remove(p); err != nil {
		return true, "lockfile is held open"
	}
	return false, ""
}
