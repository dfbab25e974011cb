package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/atomicfile"
	"github.com/authbridge/authbridge/host/cookies"
)

func cmdVersion(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "version")
	if pos, err := parse(fs, args); err != nil {
		return e.flagErr(err)
	} else if len(pos) != 0 {
		return e.usageErr("takes no arguments, got %q", pos[0])
	}
	fmt.Fprintln(e.stdout, "authbridge", Version)
	return ExitOK
}

func cmdStatus(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "status")
	asJSON := fs.Bool("json", false, "print the status as JSON")
	all := fs.Bool("all", false, "also list built-in connectors never used")
	if _, err := parse(fs, args); err != nil {
		return e.flagErr(err)
	}
	path := "/v1/status"
	if *all {
		path += "?all=1"
	}
	body, _, err := e.client.Do(ctx, "GET", path, nil)
	if err != nil {
		return e.apiError(err)
	}
	if *asJSON {
		e.stdout.Write(body)
		return ExitOK
	}
	var st apitype.Status
	if err := json.Unmarshal(body, &st); err != nil {
		fmt.Fprintln(e.stderr, "authbridge: decode status:", err)
		return ExitError
	}
	if len(st.Bridges) == 0 {
		fmt.Fprintln(e.stdout, "Browsers: none connected (open Chrome with the authbridge extension)")
	} else {
		fmt.Fprintln(e.stdout, "Browsers:")
		for _, b := range st.Bridges {
			prof := b.ProfileDir
			if prof == "" {
				prof = "profile not bound yet"
			} else if b.Binding != "" {
				prof += " (" + b.Binding + ")"
			}
			fmt.Fprintf(e.stdout, "  %s  extension %s  connected %s  %s\n", b.Origin, b.ExtensionVersion, b.ConnectedAt.Local().Format(time.TimeOnly), prof)
		}
	}
	fmt.Fprintln(e.stdout)
	if len(st.Connectors) == 0 {
		fmt.Fprintln(e.stdout, "No connectors in use yet: add definitions to", e.paths.ConnectorsDir, "(`authbridge status --all` lists the built-in ones)")
		return ExitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CONNECTOR\tHEALTH\tREASON\tLAST HEADLESS SUCCESS\tNEXT ACTION\tSTORE")
	for _, r := range st.Connectors {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Health, dash(r.Reason), dash(shortTime(r.LastHeadlessSuccessAt)), dash(r.Prompt.Action.Label), dash(r.SourceStore))
	}
	tw.Flush()
	for _, r := range st.Connectors {
		if r.ProfileWait != "" {
			fmt.Fprintf(e.stdout, "%s: %s\n", r.ID, r.ProfileWait)
		}
	}
	return ExitOK
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func shortTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04")
}

func cmdConnectors(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "connectors")
	asJSON := fs.Bool("json", false, "print the definitions as JSON")
	if _, err := parse(fs, args); err != nil {
		return e.flagErr(err)
	}
	body, _, err := e.client.Do(ctx, "GET", "/v1/connectors", nil)
	if err != nil {
		return e.apiError(err)
	}
	if *asJSON {
		e.stdout.Write(body)
		return ExitOK
	}
	var ans apitype.Connectors
	if err := json.Unmarshal(body, &ans); err != nil {
		fmt.Fprintln(e.stderr, "authbridge: decode connectors:", err)
		return ExitError
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tDOMAINS\tINHERITS\tPROFILE\tSOURCE")
	for _, c := range ans.Connectors {
		profile := ""
		if c.Session != nil {
			profile = c.Session.ProfileDir
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, strings.Join(c.Domains, ","), dash(c.InheritsFrom), dash(profile), c.Source)
	}
	tw.Flush()
	for _, c := range ans.Connectors {
		for _, sh := range c.Shadows {
			fmt.Fprintf(e.stdout, "%s from %s shadows %s\n", c.ID, c.Source, sh)
		}
	}
	for _, p := range ans.Problems {
		fmt.Fprintln(e.stderr, "refused:", p.Message)
	}
	return ExitOK
}

func cmdCookies(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "cookies")
	format := fs.String("format", "playwright", "the `FORMAT`: "+strings.Join(cookies.FormatNames(), ", ")+" (netscape-compat: for wget and Python's MozillaCookieJar)")
	rawURL := fs.String("url", "", "the `URL` the cookies are for (required by --format header)")
	out := fs.String("out", "", "write to `FILE` (mode 0600, atomically) instead of stdout")
	pos, err := parse(fs, args)
	if err != nil {
		return e.flagErr(err)
	}
	if len(pos) != 1 {
		return e.usageErr("needs one CONNECTOR (its id: `authbridge connectors` lists them), got %d arguments", len(pos))
	}
	f, err := cookies.ParseFormat(*format)
	if err != nil {
		return e.usageErr("--format: %v", err)
	}
	if f == cookies.FormatHeader && *rawURL == "" {
		return e.usageErr("--format header needs --url (the Cookie header depends on the URL it is sent to)")
	}
	q := url.Values{"format": {f.String()}}
	if *rawURL != "" {
		q.Set("url", *rawURL)
	}
	body, hdr, err := e.client.DoHeader(ctx, "GET", "/v1/connectors/"+url.PathEscape(pos[0])+"/cookies?"+q.Encode(), nil)
	if err != nil {
		return e.connectorErr(ctx, pos[0], err)
	}
	if f == cookies.FormatHeader {
		body = append(bytes.TrimRight(body, "\n"), '\n')
	}
	if *out != "" {
		if err := atomicfile.WriteFile(*out, body, 0o600); err != nil {
			fmt.Fprintln(e.stderr, "authbridge:", err)
			return ExitError
		}
	} else {
		e.stdout.Write(body)
	}
	// Scripts get the (empty) set and status 0; a person reads why.
	if n := hdr.Get("Authbridge-Notice"); n != "" {
		fmt.Fprintf(e.stderr, "authbridge: %s.\n", n)
	}
	return ExitOK
}

// connectorErr is apiError for a command naming a connector: an unknown id
// gets the nearest known ids.
func (e *env) connectorErr(ctx context.Context, id string, err error) int {
	var ae *apitype.Error
	if !errors.As(err, &ae) || ae.Code != apitype.CodeNotFound {
		return e.apiError(err)
	}
	var list apitype.Connectors
	if lerr := e.client.JSON(ctx, "GET", "/v1/connectors", nil, &list); lerr != nil {
		return e.apiError(err)
	}
	ids := make([]string, 0, len(list.Connectors))
	for _, c := range list.Connectors {
		ids = append(ids, c.ID)
	}
	fmt.Fprintf(e.stderr, "authbridge: unknown connector %q%s (`authbridge connectors` lists them)\n", id, suggest(id, ids))
	return ExitError
}
