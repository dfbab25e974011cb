package connector

import "os"

// openNoBlock opens path for reading; on Windows opening a file never waits
// for a writer (named pipes do not live in ordinary folders).
func openNoBlock(path string) (*os.File, error) {
	return os.Open(path)
}
