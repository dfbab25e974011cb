package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
)

func cmdVerify(ctx context.Context, e *env, args []string) int {
	return runAction(ctx, e, "verify", args)
}

func cmdRepair(ctx context.Context, e *env, args []string) int {
	return runAction(ctx, e, "repair", args)
}

// runAction runs verify or repair and exits with the reason's status.
func runAction(ctx context.Context, e *env, name string, args []string) int {
	fs := newFlags(e, name)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	runID := fs.String("run-id", "", "the app's run `ID`, to tie the recorded event to its run")
	var inConnector *bool
	var signInWait *time.Duration
	if name == "repair" {
		inConnector = fs.Bool("in-connector-browser", false, "sign in inside the connector's own browser: a window on its profile at its login URL, done when you have signed in there")
		signInWait = fs.Duration("timeout", 0, "with --in-connector-browser: the `DURATION` to wait for the sign-in (default 5m)")
	}
	pos, err := parse(fs, args)
	if err != nil {
		return e.flagErr(err)
	}
	if len(pos) != 1 {
		return e.usageErr("needs one CONNECTOR (its id: `authbridge connectors` lists them), got %d arguments", len(pos))
	}
	do := e.client.Verify
	if name == "repair" {
		do = e.client.Repair
	}
	if inConnector != nil && *inConnector {
		wait := *signInWait
		do = func(ctx context.Context, id, runID string) (apitype.ActionResult, []byte, error) {
			return e.client.SignInConnector(ctx, id, runID, wait)
		}
		fmt.Fprintf(e.stderr, "authbridge: sign in to %s in the window that opens; this ends by itself once you have\n", pos[0])
	} else if signInWait != nil && *signInWait != 0 {
		return e.usageErr("--timeout is only for repair --in-connector-browser")
	}
	ans, raw, err := do(ctx, pos[0], *runID)
	if raw == nil {
		var ae *apitype.Error
		if *asJSON && errors.As(err, &ae) {
			// --json answers on stdout either way: the API's error body.
			e.printJSON(map[string]any{"error": ae})
		}
		return e.connectorErr(ctx, pos[0], err)
	}
	if err != nil {
		fmt.Fprintln(e.stderr, "authbridge: decode answer:", err)
		return ExitError
	}
	if *asJSON {
		e.stdout.Write(raw)
	} else {
		printResult(e, ans)
	}
	return ans.Result.ExitStatus
}

func printResult(e *env, ans apitype.ActionResult) {
	r := ans.Result
	if r.Healthy() {
		fmt.Fprintf(e.stdout, "%s: Healthy (%s)\n", ans.Row.Name, r.Detail)
	} else {
		fmt.Fprintf(e.stdout, "%s: %s — %s (%s)\n", ans.Row.Name, r.Health.Label(), r.Code, r.Detail)
		fmt.Fprintf(e.stdout, "  What: %s\n  Why:  %s\n  Next: %s\n", r.Prompt.What, r.Prompt.Why, r.Prompt.Action.Label)
	}
	for _, w := range ans.Written {
		fmt.Fprintln(e.stdout, "  wrote session state:", w)
	}
	if ans.Row.ProfileWait != "" {
		fmt.Fprintln(e.stdout, " ", ans.Row.ProfileWait)
	}
}

func cmdClear(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "clear")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return e.flagErr(err)
	}
	if len(pos) != 1 {
		return e.usageErr("needs one CONNECTOR (its id: `authbridge connectors` lists them), got %d arguments", len(pos))
	}
	ans, raw, err := e.client.Clear(ctx, pos[0])
	if raw == nil {
		return e.connectorErr(ctx, pos[0], err)
	}
	if *asJSON {
		e.stdout.Write(raw)
		return ExitOK
	}
	fmt.Fprintf(e.stdout, "%s: session cleared; health is now %s. Your browser's own cookies were not touched.\n", ans.Row.Name, ans.Row.Health)
	for _, c := range ans.Cleared {
		fmt.Fprintln(e.stdout, "  cleared:", c)
	}
	return ExitOK
}
