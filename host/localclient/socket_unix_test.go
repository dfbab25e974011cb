//go:build !windows

package localclient

import "path/filepath"

// testSocket is the API socket of a test agent whose runtime directory is dir.
func testSocket(dir string) string { return filepath.Join(dir, "api.sock") }
