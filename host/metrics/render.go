package metrics

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// WriteText writes the report as a table per connector, one column per
// question, then the interactive runs by reason.
func WriteText(w io.Writer, rep *Report) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "authbridge dogfood report, generated %s, %s\n\n", rep.GeneratedAt.Format(time.RFC3339), windowText(rep.Since))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "connector\truns\tran without you\tneeded you\tfixed in one try\ttime to success p50\tp90\tbegan with: clear\tguided repair\tother\tnothing\t")
	rowsOf := append(slices.Clone(rep.Connectors), rep.Overall)
	for i, f := range rowsOf {
		id := f.ConnectorID
		if i == len(rowsOf)-1 {
			id = "all connectors"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t\n", id, f.Runs,
			pctText(f.HeadlessOnlyPct), pctText(f.InteractiveRequiredPct), pctText(f.RecoveredInOneAttemptPct),
			msText(f.TimeToSuccessMS.P50), msText(f.TimeToSuccessMS.P90),
			f.FirstRecoveryAction.ClearSession, f.FirstRecoveryAction.GuidedRepair, f.FirstRecoveryAction.Other, f.FirstRecoveryAction.None)
	}
	tw.Flush()
	b.WriteString(textLegend)
	b.WriteString("\nWhy runs needed you to sign in (runs, by their first failure reason):\n")
	any := false
	for _, f := range rowsOf[:len(rowsOf)-1] {
		if len(f.InteractiveByReason) == 0 {
			continue
		}
		any = true
		fmt.Fprintf(&b, "  %s: %s\n", f.ConnectorID, reasonsText(f.InteractiveByReason))
	}
	if !any {
		b.WriteString("  no run needed you\n")
	}
	if len(rep.Connectors) == 0 {
		b.WriteString("\nNo runs recorded in this window. Apps send events with `authbridge event` or POST /v1/events.\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// textLegend says what each column of the text report is, and which of the
// report's five questions it answers.
const textLegend = `
What each column is:
  runs               runs the app recorded (a run_id with run_started, run_succeeded or run_failed)
  ran without you    share of runs that never needed you to sign in (headless)            question 1
  needed you         share of runs that needed you to sign in (interactive)                question 2
  fixed in one try   of the runs that needed you, the share their first recovery fixed     question 3
  time to success    from a run's start to a successful export: median (p50) and p90       question 4
  began with         recovery chains (a failure up to the next success), counted by their
                     first action: clearing the session, a guided repair, other, nothing   question 5
`

func windowText(since *time.Time) string {
	if since == nil {
		return "all recorded events"
	}
	return "events since " + since.Format(time.RFC3339)
}

func pctText(p *float64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatFloat(*p, 'f', 1, 64) + "%"
}

func msText(v *int64) string {
	if v == nil {
		return "-"
	}
	d := time.Duration(*v) * time.Millisecond
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", *v)
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%.1f min", d.Minutes())
	}
	return fmt.Sprintf("%.1f h", d.Hours())
}

func reasonsText(m map[string]int) string {
	keys := sortedReasons(m)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// reasonLines is one "REASON n" a reason, most runs first.
func reasonLines(m map[string]int) []string {
	keys := sortedReasons(m)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return out
}

// sortedReasons orders reasons by count, then name.
func sortedReasons(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	return keys
}

// Chart geometry, in SVG user units.
const (
	chartWidth = 720
	labelWidth = 330
	barHeight  = 22
	barGap     = 10
	chartPad   = 24
)

type svgBar struct {
	Y, X, W, H   int
	Class        string
	Label, Text  string
	TextX, TextY int
}

type svgChart struct {
	Title, Desc string
	Height      int
	Labels      []svgLabel
	Bars        []svgBar
	Empty       string
}

type svgLabel struct {
	Y    int
	Text string
}

type htmlRow struct {
	Figures
	Name                                       string
	Headless, Interactive, Recovered, P50, P90 string
	Reasons                                    []string
	Clear, Guided, OtherFirst, NoneFirst       int
}

type htmlView struct {
	Rep    *Report
	Window string
	Rows   []htmlRow
	Charts []svgChart
}

// HTML renders the report as one self-contained page: inline CSS and SVG,
// no script, no external resource.
func HTML(rep *Report) ([]byte, error) {
	v := htmlView{Rep: rep, Window: windowText(rep.Since)}
	all := append(slices.Clone(rep.Connectors), rep.Overall)
	for i, f := range all {
		name := f.ConnectorID
		if i == len(all)-1 {
			name = "all connectors"
		}
		v.Rows = append(v.Rows, htmlRow{
			Figures: f, Name: name,
			Headless: pctText(f.HeadlessOnlyPct), Interactive: pctText(f.InteractiveRequiredPct),
			Recovered: pctText(f.RecoveredInOneAttemptPct),
			P50:       msText(f.TimeToSuccessMS.P50), P90: msText(f.TimeToSuccessMS.P90),
			Reasons: reasonLines(f.InteractiveByReason),
			Clear:   f.FirstRecoveryAction.ClearSession, Guided: f.FirstRecoveryAction.GuidedRepair,
			OtherFirst: f.FirstRecoveryAction.Other, NoneFirst: f.FirstRecoveryAction.None,
		})
	}
	v.Charts = []svgChart{headlessChart(rep), reasonChart(rep), timeChart(rep)}
	var b bytes.Buffer
	for i := range v.Charts {
		for j := range v.Charts[i].Bars {
			bar := &v.Charts[i].Bars[j]
			bar.TextY = bar.Y + bar.H/2 + 5
		}
	}
	if err := pageTemplate().Execute(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func chartHeight(n, perItem int) int { return chartPad*2 + n*perItem }

// headlessChart is one stacked bar per connector: headless share, then
// interactive share.
func headlessChart(rep *Report) svgChart {
	c := svgChart{Title: "Runs without you (headless share), per connector", Desc: "Each bar is 100% of a connector's runs: the solid part ran without you (headless), the hatched part needed you to sign in (interactive)."}
	span := chartWidth - labelWidth - 130
	y := chartPad
	for _, f := range rep.Connectors {
		c.Labels = append(c.Labels, svgLabel{Y: y + barHeight/2 + 5, Text: f.ConnectorID})
		if f.HeadlessOnlyPct == nil {
			c.Bars = append(c.Bars, svgBar{Y: y, X: labelWidth, W: 0, H: barHeight, Text: "no runs", TextX: labelWidth + 6})
		} else {
			hw := int(*f.HeadlessOnlyPct / 100 * float64(span))
			c.Bars = append(c.Bars,
				svgBar{Y: y, X: labelWidth, W: hw, H: barHeight, Class: "headless", Label: "headless " + pctText(f.HeadlessOnlyPct)},
				svgBar{Y: y, X: labelWidth + hw, W: span - hw, H: barHeight, Class: "interactive", Label: "interactive " + pctText(f.InteractiveRequiredPct),
					Text: pctText(f.HeadlessOnlyPct) + " headless", TextX: labelWidth + span + 6})
		}
		y += barHeight + barGap
	}
	c.Height = chartHeight(len(rep.Connectors), barHeight+barGap)
	if len(rep.Connectors) == 0 {
		c.Empty = "No runs in this window."
	}
	return c
}

// reasonChart is one bar per reason of interactive runs, all connectors.
func reasonChart(rep *Report) svgChart {
	c := svgChart{Title: "Why runs needed you to sign in (all connectors)", Desc: "Runs that needed you to sign in, counted by their first failure reason; the number is runs."}
	m := rep.Overall.InteractiveByReason
	keys := sortedReasons(m)
	top := 0
	for _, k := range keys {
		top = max(top, m[k])
	}
	span := chartWidth - labelWidth - 60
	y := chartPad
	for _, k := range keys {
		w := 0
		if top > 0 {
			w = m[k] * span / top
		}
		c.Labels = append(c.Labels, svgLabel{Y: y + barHeight/2 + 5, Text: k})
		c.Bars = append(c.Bars, svgBar{Y: y, X: labelWidth, W: w, H: barHeight, Class: "reason", Label: fmt.Sprintf("%s: %d runs", k, m[k]),
			Text: strconv.Itoa(m[k]), TextX: labelWidth + w + 6})
		y += barHeight + barGap
	}
	c.Height = chartHeight(len(keys), barHeight+barGap)
	if len(keys) == 0 {
		c.Empty = "No interactive runs in this window."
	}
	return c
}

// timeChart is a pair of bars (P50, P90) per connector on one scale.
func timeChart(rep *Report) svgChart {
	c := svgChart{Title: "Time to success, P50 and P90, per connector", Desc: "Nearest-rank percentiles over successful runs; the upper bar is P50, the lower one P90."}
	var top int64
	for _, f := range rep.Connectors {
		if f.TimeToSuccessMS.P90 != nil {
			top = max(top, *f.TimeToSuccessMS.P90)
		}
	}
	span := chartWidth - labelWidth - 90
	scale := func(v int64) int {
		if top == 0 {
			return 0
		}
		return int(v * int64(span) / top)
	}
	h := barHeight * 2 / 3
	y := chartPad
	for _, f := range rep.Connectors {
		c.Labels = append(c.Labels, svgLabel{Y: y + h + 3, Text: f.ConnectorID})
		for i, p := range []*int64{f.TimeToSuccessMS.P50, f.TimeToSuccessMS.P90} {
			name, class := "P50", "p50"
			if i == 1 {
				name, class = "P90", "p90"
			}
			by := y + i*(h+2)
			if p == nil {
				c.Bars = append(c.Bars, svgBar{Y: by, X: labelWidth, H: h, Text: name + " -", TextX: labelWidth + 6})
				continue
			}
			w := scale(*p)
			c.Bars = append(c.Bars, svgBar{Y: by, X: labelWidth, W: w, H: h, Class: class, Label: name + " " + msText(p),
				Text: name + " " + msText(p), TextX: labelWidth + w + 6})
		}
		y += 2*h + 2 + barGap
	}
	c.Height = chartHeight(len(rep.Connectors), 2*h+2+barGap)
	if len(rep.Connectors) == 0 {
		c.Empty = "No successful runs in this window."
	}
	return c
}

// pageTemplate is the HTML report page, parsed on first use.
var pageTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>authbridge dogfood report</title>
<style>
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --headless: #1f6feb; --interactive: #f0b429; --reason: #8250df; --p50: #2da44e; --p90: #116329; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 2rem auto; max-width: 75rem; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; }
p.meta { color: var(--muted); margin-top: 0; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
th, td { border-bottom: 1px solid var(--line); padding: .35rem .3rem; text-align: right; vertical-align: top; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
td { white-space: nowrap; }
td:first-child { white-space: normal; }
th { font-size: .8rem; }
td.reasons { font-size: .78rem; }
th { font-weight: 600; vertical-align: bottom; }
tr.overall td { font-weight: 600; border-top: 2px solid var(--ink); }
svg { width: 100%; height: auto; font: 13px system-ui, sans-serif; }
svg text { fill: var(--ink); }
.headless { fill: var(--headless); }
.interactive { fill: url(#hatch); stroke: var(--interactive); }
.reason { fill: var(--reason); }
.p50 { fill: var(--p50); }
.p90 { fill: var(--p90); }
figure { margin: 1rem 0 2rem; }
figcaption { color: var(--muted); font-size: .9rem; }
dl { font-size: .9rem; color: var(--muted); }
dt { font-weight: 600; color: var(--ink); margin-top: .5rem; }
</style>
</head>
<body>
<svg width="0" height="0" aria-hidden="true" style="position:absolute"><defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff4d6"/><line x1="0" y1="0" x2="0" y2="6" stroke="#f0b429" stroke-width="3"/></pattern></defs></svg>
<h1>authbridge dogfood report</h1>
<p class="meta">Generated {{.Rep.GeneratedAt.Format "2006-01-02 15:04:05 UTC"}}; {{.Window}}.</p>

<h2>Answers per connector</h2>
<table>
<thead><tr><th scope="col">Connector</th><th scope="col">Runs</th><th scope="col">1. Ran without you</th><th scope="col">2. Needed you to sign in</th><th scope="col" class="text">Why (runs by reason)</th><th scope="col">3. Fixed in one try</th><th scope="col">4. Time to success, median</th><th scope="col">P90</th><th scope="col">5. Began with clear</th><th scope="col">guided repair</th><th scope="col">other</th><th scope="col">nothing</th></tr></thead>
<tbody>
{{- range $i, $r := .Rows}}
<tr{{if eq $r.ConnectorID ""}} class="overall"{{end}}><td>{{$r.Name}}</td><td>{{$r.Runs}}</td><td>{{$r.Headless}}</td><td>{{$r.Interactive}}</td><td class="text reasons">{{range $j, $x := $r.Reasons}}{{if $j}}<br>{{end}}{{$x}}{{else}}-{{end}}</td><td>{{$r.Recovered}}</td><td>{{$r.P50}}</td><td>{{$r.P90}}</td><td>{{$r.Clear}}</td><td>{{$r.Guided}}</td><td>{{$r.OtherFirst}}</td><td>{{$r.NoneFirst}}</td></tr>
{{- end}}
</tbody>
</table>

{{range .Charts}}
<figure>
<h2>{{.Title}}</h2>
{{if .Empty}}<p>{{.Empty}}</p>{{else}}
<svg viewBox="0 0 720 {{.Height}}" role="img" aria-label="{{.Title}}">
<title>{{.Title}}</title>
{{range .Labels}}<text x="0" y="{{.Y}}">{{.Text}}</text>
{{end}}{{range .Bars}}{{if .Class}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" class="{{.Class}}"><title>{{.Label}}</title></rect>
{{end}}{{if .Text}}<text x="{{.TextX}}" y="{{.TextY}}">{{.Text}}</text>
{{end}}{{end}}</svg>{{end}}
<figcaption>{{.Desc}}</figcaption>
</figure>
{{end}}

<h2>How to read this</h2>
<dl>
<dt>Run</dt><dd>One run_id of one connector that has a run_started, run_succeeded or run_failed event. Host actions not tied to a run are not runs.</dd>
<dt>1. Ran without you, 2. Needed you to sign in</dt><dd>Shares of runs. A run needed you (interactive) when any of its events says auth_mode_used interactive_required; otherwise it ran without you (headless). "Why" counts those runs by their first failure reason (UNKNOWN when they gave none).</dd>
<dt>3. Fixed in one try</dt><dd>Of the runs that needed you, the share whose first recovery_attempted event has recovery_success true.</dd>
<dt>4. Time to success</dt><dd>For each successful run: the app's time_to_success_ms, else from the connector's first run_started after its previous success to this run_succeeded. Nearest-rank P50 and P90.</dd>
<dt>5. Began with clear, guided repair, other, nothing</dt><dd>Recovery chains, counted: a chain runs from a failure (or a session clear) to the connector's next success, across runs, and is counted by its first recovery action.</dd>
<dt>Percentages</dt><dd>0 to 100, one decimal; "-" when nothing to divide by.</dd>
</dl>
</body>
</html>
`))
})
