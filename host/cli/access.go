package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
)

// cmdAccess prints who received which connector's cookies (GET
// /v1/access): the program (its executable and command line), when, how
// many times, in which format, and whether the browser grants the
// connector now.
func cmdAccess(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "access")
	asJSON := fs.Bool("json", false, "print the access log as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return e.flagErr(err)
	}
	if len(pos) > 1 {
		return e.usageErr("at most one connector")
	}
	path := "/v1/access"
	if len(pos) == 1 {
		path += "?connector=" + url.QueryEscape(pos[0])
	}
	body, _, err := e.client.Do(ctx, "GET", path, nil)
	if err != nil {
		return e.apiError(err)
	}
	if *asJSON {
		e.stdout.Write(body)
		return ExitOK
	}
	var log apitype.AccessLog
	if err := json.Unmarshal(body, &log); err != nil {
		fmt.Fprintln(e.stderr, "authbridge: decode access log:", err)
		return ExitError
	}
	if len(log.Connectors) == 0 {
		fmt.Fprintln(e.stdout, "No connector's cookies have left the browser yet.")
		return ExitOK
	}
	out := newTermWriter(e.stdout)
	for i, c := range log.Connectors {
		if i > 0 {
			fmt.Fprintln(out)
		}
		access := c.Access
		if access == "" {
			access = "unknown (no browser connected)"
		}
		fmt.Fprintf(out, "%s (%s): access %s, released %d time(s)\n", c.Name, c.ID, access, c.Releases)
		if len(c.Callers) == 0 {
			continue
		}
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  LAST\tTIMES\tFORMAT\tPROGRAM\tCOMMAND LINE")
		for _, r := range c.Callers {
			prog := r.Caller.Executable
			if prog == "" {
				prog = fmt.Sprintf("pid %d (%s)", r.Caller.PID, r.Caller.Via)
			} else {
				prog = filepath.Base(prog) + " (" + prog + ")"
			}
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\n", r.LastAt.Local().Format(time.DateTime), r.Times, r.Format, prog, r.Caller.Cmdline)
		}
		tw.Flush()
	}
	return ExitOK
}
