package agent

import "github.com/authbridge/authbridge/host/connector"

// cookiesGetParams is the cookies.get request for a connector: its domains,
// and the cookie store its definition names (a Firefox container), which the
// extension resolves by name; no store means the profile's default one.
func cookiesGetParams(def connector.Definition) map[string]any {
	p := map[string]any{"domains": def.Domains}
	if def.SourceStore != "" {
		p["store"] = def.SourceStore
	}
	return p
}

// sourceStoreLabel is what status shows as the store a connector reads.
func sourceStoreLabel(def connector.Definition) string {
	if def.SourceStore == "" {
		return "default"
	}
	return def.SourceStore
}
