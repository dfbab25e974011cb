package paths

import "testing"

// TestResolvePipes resolves each table row's environment as the agent, the
// CLI and the relay do on Windows.
func TestResolvePipes(t *testing.T) {
	for _, c := range loadPipeCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			p, err := Resolve(func(k string) string { return c.Env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if p.Home != c.Home || p.APISocket != c.API || p.BridgeSocket != c.Bridge {
				t.Errorf("Resolve = home %q api %q bridge %q, want %q %q %q", p.Home, p.APISocket, p.BridgeSocket, c.Home, c.API, c.Bridge)
			}
		})
	}
}
