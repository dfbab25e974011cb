package chromeprofile

// InUse reports whether a running browser holds the user-data-dir, and the
// evidence (its lock) when it does. Readers that must not start a second
// browser on a profile (dbsc.Reader) check it first.
func InUse(userDataDir string) (bool, string) { return profileInUse(userDataDir) }
