package atomicfile

import (
	"io/fs"
	"testing"
)

// checkMode has nothing to check on Windows: files have no permission bits
// (access is the user profile's ACL).
func checkMode(*testing.T, fs.FileInfo, fs.FileMode) {}
