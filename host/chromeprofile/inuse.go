package chromeprofile

// InUse reports whether a running browser holds the user-data-dir, and the
// evidence (its lock) when it does. Readers that must not start a second
// browser on a profile check it first (the end-to-end tests' DBSC reader,
// host/internal/dbsccdp).
func InUse(userDataDir string) (bool, string) { return profileInUse(userDataDir) }
