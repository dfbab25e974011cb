package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/authbridge/authbridge/host/atomicfile"
	"github.com/authbridge/authbridge/host/metrics"
)

// cmdEvent sends dogfood events (JSON lines on stdin) to the agent in one
// batch: all of them are stored, or none and every bad line is listed.
func cmdEvent(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "event")
	if pos, err := parse(fs, args); err != nil {
		return e.flagErr(err)
	} else if len(pos) != 0 {
		return e.usageErr("takes no arguments, got %q", pos[0])
	}
	data, err := io.ReadAll(io.LimitReader(e.stdin, metrics.MaxBody+1))
	if err != nil {
		fmt.Fprintln(e.stderr, "authbridge: read stdin:", err)
		return ExitError
	}
	if len(data) > metrics.MaxBody {
		fmt.Fprintf(e.stderr, "authbridge: more than %d MiB on stdin: send the events in smaller batches\n", metrics.MaxBody>>20)
		return ExitError
	}
	if len(bytes.TrimSpace(data)) == 0 {
		fmt.Fprintln(e.stderr, "authbridge:", metrics.ErrEmptyBatch)
		return ExitError
	}
	// The agent answers with line numbers of the body, which is stdin as is.
	raw, err := e.client.Events(ctx, data)
	if err != nil {
		return e.apiError(err)
	}
	var st metrics.Stored
	if err := json.Unmarshal(raw, &st); err != nil {
		fmt.Fprintln(e.stderr, "authbridge: decode answer:", err)
		return ExitError
	}
	fmt.Fprintf(e.stdout, "stored %d events (%d new, %d duplicates already stored)\n", st.Accepted, st.Accepted-st.Duplicates, st.Duplicates)
	return ExitOK
}

func cmdReport(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "report")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	htmlFile := fs.String("html", "", "write the report as one self-contained HTML page to `FILE`")
	since := fs.String("since", "", "only events in this `WINDOW`: a duration back from now (168h) or an RFC 3339 time")
	export := fs.String("export", "", "write the raw events in `FORMAT` instead of a report: ndjson (one event per line)")
	if pos, err := parse(fs, args); err != nil {
		return e.flagErr(err)
	} else if len(pos) != 0 {
		return e.usageErr("takes no arguments, got %q", pos[0])
	}
	// Resolve a duration here, so every export page has the same window.
	start, err := metrics.ParseSince(*since, time.Now())
	if err != nil {
		fmt.Fprintln(e.stderr, "authbridge: --since:", err)
		return ExitUsage
	}
	q := url.Values{}
	if start != nil {
		q.Set("since", start.Format(time.RFC3339Nano))
	}
	switch *export {
	case "":
	case "ndjson":
		return exportEvents(ctx, e, q)
	default:
		fmt.Fprintf(e.stderr, "authbridge: --export %q: the export format is ndjson\n", *export)
		return ExitUsage
	}
	raw, _, err := e.client.Do(ctx, "GET", "/v1/report?"+q.Encode(), nil)
	if err != nil {
		return e.apiError(err)
	}
	var rep metrics.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		fmt.Fprintln(e.stderr, "authbridge: decode report:", err)
		return ExitError
	}
	if *htmlFile != "" {
		page, err := metrics.HTML(&rep)
		if err == nil {
			err = atomicfile.WriteFile(*htmlFile, page, 0o644)
		}
		if err != nil {
			fmt.Fprintln(e.stderr, "authbridge:", err)
			return ExitError
		}
		if !*asJSON {
			fmt.Fprintln(e.stdout, "wrote", *htmlFile)
			return ExitOK
		}
	}
	if *asJSON {
		e.printJSON(&rep)
		return ExitOK
	}
	if err := metrics.WriteText(e.stdout, &rep); err != nil {
		fmt.Fprintln(e.stderr, "authbridge:", err)
		return ExitError
	}
	return ExitOK
}

// exportEvents pages through GET /v1/events/export and writes JSON lines.
func exportEvents(ctx context.Context, e *env, q url.Values) int {
	w := bufio.NewWriterSize(e.stdout, 64<<10)
	for {
		var p metrics.Page
		if err := e.client.JSON(ctx, "GET", "/v1/events/export?"+q.Encode(), nil, &p); err != nil {
			w.Flush()
			return e.apiError(err)
		}
		if err := metrics.WriteNDJSON(w, p.Events); err != nil {
			fmt.Fprintln(e.stderr, "authbridge:", err)
			return ExitError
		}
		if p.Next == "" {
			break
		}
		q.Set("after", p.Next)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(e.stderr, "authbridge:", err)
		return ExitError
	}
	return ExitOK
}
