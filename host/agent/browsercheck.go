package agent

import (
	"context"
	"errors"

	"github.com/authbridge/authbridge/host/connector"
)

// browserCheck is the session manager's BrowserCheck: Refresh, for a
// connector whose cookies come from the browser's default cookie store (the
// only store the extension's request is sent from). No cookie leaves the
// agent.
func (a *Agent) browserCheck(ctx context.Context, def connector.Definition) (int, bool, error) {
	if def.SourceStore != "" {
		return 0, false, errors.New("connector's cookies are not in the browser's default cookie store")
	}
	return a.Refresh(ctx, def)
}
