package localclient

import "github.com/authbridge/authbridge/host/paths"

// testSocket is the API pipe of a test agent whose home is dir.
func testSocket(dir string) string { return paths.PipeName(dir, "api") }
