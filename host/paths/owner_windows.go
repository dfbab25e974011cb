package paths

import "io/fs"

// checkOwner relies on %LOCALAPPDATA% being private to the user on Windows.
func checkOwner(dir string, fi fs.FileInfo) error { return nil }
