package release

import (
	"context"
	"net/http"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
)

// maxCallers is the most callers GET /v1/access lists per connector.
const maxCallers = 20

// accessLog answers GET /v1/access[?connector=ID]: per connector, the
// programs that received its cookies (executable and command line, as the
// OS named them), when, how many times and in which format. Without a
// connector, every connector whose cookies were ever released.
func (r *Routes) accessLog(ctx context.Context, req *http.Request) (any, error) {
	var defs []connector.Definition
	if id := req.URL.Query().Get("connector"); id != "" {
		def, err := r.cfg.Catalog.Connector(id)
		if err != nil {
			return nil, err
		}
		defs = []connector.Definition{def}
	} else {
		defs, _ = r.cfg.Catalog.Connectors()
	}
	out := apitype.AccessLog{Connectors: []apitype.ConnectorAccess{}}
	for _, d := range defs {
		sums, total, err := r.cfg.Callers(ctx, d.ID, maxCallers)
		if err != nil {
			return nil, err
		}
		if total == 0 && len(defs) > 1 {
			continue
		}
		name := d.Name
		if name == "" {
			name = d.ID
		}
		ca := apitype.ConnectorAccess{ID: d.ID, Name: name, Releases: total, Callers: []apitype.CallerReleases{}}
		ca.Access, _ = r.cfg.Access(d)
		for _, s := range sums {
			ca.Callers = append(ca.Callers, apitype.CallerReleases{
				Caller: apitype.Caller{PID: s.CallerPID, UID: s.CallerUID, Executable: s.CallerExe, Cmdline: s.CallerCmdline, Via: s.Via},
				Format: s.Format, Times: s.Times, FirstAt: s.FirstAt, LastAt: s.At, Cookies: s.Count,
			})
		}
		out.Connectors = append(out.Connectors, ca)
	}
	return out, nil
}
