//go:build !linux

package relay

// BrowserUserDataDir is not read on this OS; the agent binds from the
// browsers' default user-data-dirs.
func BrowserUserDataDir() string { return "" }
