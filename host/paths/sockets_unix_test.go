//go:build !windows

package paths

import "testing"

// TestResolveSocketsSharedTable resolves the table's Linux and macOS rows
// as the agent, the CLI and the relay do there. Their paths are Unix
// paths, so this runs on a Unix host; the Windows rows are resolved on
// Windows (TestResolvePipes).
func TestResolveSocketsSharedTable(t *testing.T) {
	for _, c := range loadSocketCases(t, "linux", "darwin") {
		t.Run(c.Name, func(t *testing.T) {
			p, err := resolve(func(k string) string { return c.Env[k] }, platform{goos: c.OS, uid: c.UID})
			if err != nil {
				t.Fatal(err)
			}
			if p.Home != c.Home || p.APISocket != c.API || p.BridgeSocket != c.Bridge {
				t.Errorf("resolve(%s) = home %q api %q bridge %q, want %q %q %q", c.OS, p.Home, p.APISocket, p.BridgeSocket, c.Home, c.API, c.Bridge)
			}
		})
	}
}
