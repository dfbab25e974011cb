package metrics

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Report answers the five questions per connector and overall. Its JSON is
// the `authbridge report --json` output and the GET /v1/report answer.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	// Since is the start of the window (events at or after it); null means
	// every stored event.
	Since      *time.Time `json:"since"`
	Connectors []Figures  `json:"connectors"`
	Overall    Figures    `json:"overall"`
}

// Figures are the answers for one connector, or for all of them together
// (ConnectorID empty). Percentages are 0 to 100, rounded to one decimal, and
// null when their denominator is zero.
type Figures struct {
	ConnectorID string `json:"connector_id,omitempty"`
	// Runs counts the runs in the window; SucceededRuns and InteractiveRuns
	// are the denominators of the percentages below.
	Runs            int `json:"runs"`
	SucceededRuns   int `json:"succeeded_runs"`
	InteractiveRuns int `json:"interactive_runs"`
	// 1. Runs that stayed headless, over all runs.
	HeadlessOnlyPct *float64 `json:"headless_only_pct"`
	// 2. Runs that needed interactive login, over all runs, and how many of
	// them per taxonomy reason.
	InteractiveRequiredPct *float64       `json:"interactive_required_pct"`
	InteractiveByReason    map[string]int `json:"interactive_by_reason"`
	// 3. Of interactive runs, those whose first recovery attempt succeeded.
	RecoveredInOneAttemptPct *float64 `json:"recovered_in_one_attempt_pct"`
	// 4. Time to success over successful runs.
	TimeToSuccessMS Percentiles `json:"time_to_success_ms"`
	// 5. How recovery chains began.
	FirstRecoveryAction FirstActions `json:"first_recovery_action"`
	Chains              int          `json:"chains"`
	Events              int          `json:"events"`
}

// Percentiles are nearest-rank percentiles in milliseconds, null when N is 0.
type Percentiles struct {
	P50 *int64 `json:"p50"`
	P90 *int64 `json:"p90"`
	N   int    `json:"n"`
}

// FirstActions counts recovery chains by their first recovery action.
type FirstActions struct {
	ClearSession int `json:"clear_session"`
	// GuidedRepair is repair_from_chrome or interactive_repair.
	GuidedRepair int `json:"guided_repair"`
	// Other is auto_repair or retry.
	Other int `json:"other"`
	// None is a chain that reached its success with no recovery action.
	None int `json:"none"`
}

// row is one event as the report needs it.
type row struct {
	at      int64 // microseconds since the epoch
	run     string
	typ     uint8
	mode    uint8
	action  uint8
	success int8 // -1 not stated, 0 false, 1 true
	reason  string
	tts     int64 // -1 not stated
}

// tally accumulates the answers of one connector (or of all).
type tally struct {
	runs, succeeded, interactive, recoveredFirst int
	byReason                                     map[string]int
	tts                                          []int64
	first                                        FirstActions
	chains, events                               int
}

func (t *tally) add(o *tally) {
	t.runs += o.runs
	t.succeeded += o.succeeded
	t.interactive += o.interactive
	t.recoveredFirst += o.recoveredFirst
	for k, v := range o.byReason {
		if t.byReason == nil {
			t.byReason = map[string]int{}
		}
		t.byReason[k] += v
	}
	t.tts = append(t.tts, o.tts...)
	t.first.ClearSession += o.first.ClearSession
	t.first.GuidedRepair += o.first.GuidedRepair
	t.first.Other += o.first.Other
	t.first.None += o.first.None
	t.chains += o.chains
	t.events += o.events
}

func (t *tally) figures(connector string) Figures {
	f := Figures{
		ConnectorID: connector, Runs: t.runs, SucceededRuns: t.succeeded, InteractiveRuns: t.interactive,
		HeadlessOnlyPct:          pct(t.runs-t.interactive, t.runs),
		InteractiveRequiredPct:   pct(t.interactive, t.runs),
		InteractiveByReason:      map[string]int{},
		RecoveredInOneAttemptPct: pct(t.recoveredFirst, t.interactive),
		FirstRecoveryAction:      t.first,
		Chains:                   t.chains,
		Events:                   t.events,
	}
	for k, v := range t.byReason {
		f.InteractiveByReason[k] = v
	}
	vals := slices.Clone(t.tts)
	slices.Sort(vals)
	f.TimeToSuccessMS = Percentiles{P50: nearestRank(vals, 50), P90: nearestRank(vals, 90), N: len(vals)}
	return f
}

// pct is 100·n/d rounded to one decimal (half away from zero), or nil when
// d is 0.
func pct(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	v := math.Round(float64(n)*1000/float64(d)) / 10
	return &v
}

// nearestRank is the p-th percentile of sorted values by the nearest-rank
// method: the value at rank ceil(p/100 · n), counting from 1.
func nearestRank(sorted []int64, p int) *int64 {
	n := len(sorted)
	if n == 0 {
		return nil
	}
	rank := max((p*n+99)/100, 1)
	v := sorted[rank-1]
	return &v
}

// runState is what the report keeps of one run while it reads a connector's
// events in order.
type runState struct {
	firstAt        int64
	lifecycle      bool // has run_started, run_succeeded or run_failed
	interactive    bool
	reason         string // first failure reason
	attempted      bool
	firstAttemptOK bool
	succeeded      bool
}

// pass reads one connector's events in (at, event_id) order.
type pass struct {
	runIdx     map[string]int32
	runs       []runState
	pending    int64 // first run_started since the last success
	hasPending bool
	chainOpen  bool
	chainFirst uint8 // first recovery action code of the open chain, 0: none yet
	t          tally
}

func newPass() *pass {
	return &pass{runIdx: map[string]int32{}, t: tally{byReason: map[string]int{}}}
}

func (p *pass) add(r *row) {
	p.t.events++
	idx, ok := p.runIdx[string(r.run)]
	if !ok {
		idx = int32(len(p.runs))
		p.runIdx[string(r.run)] = idx
		p.runs = append(p.runs, runState{firstAt: r.at})
	}
	rs := &p.runs[idx]
	switch r.typ {
	case codeRunStarted, codeRunSucceeded, codeRunFailed:
		rs.lifecycle = true
	}
	if r.mode == codeModeInteractive {
		rs.interactive = true
	}
	failure := r.reason != "" && r.reason != "OK"
	if failure && rs.reason == "" {
		rs.reason = r.reason
	}
	if r.typ == codeRecoveryAttempted && !rs.attempted {
		rs.attempted, rs.firstAttemptOK = true, r.success == 1
	}
	// Chains: a failure (or a clear) opens one when none is open; its first
	// recovery action is remembered; the next success closes it.
	if !p.chainOpen && (failure || r.typ == codeRunFailed || r.typ == codeSessionCleared) {
		p.chainOpen, p.chainFirst = true, 0
		p.t.chains++
	}
	if p.chainOpen && p.chainFirst == 0 && (r.typ == codeRecoveryAttempted || r.typ == codeSessionCleared) {
		p.chainFirst = r.action
	}
	if r.typ == codeRunStarted && !p.hasPending {
		p.pending, p.hasPending = r.at, true
	}
	if r.typ == codeRunSucceeded && !rs.succeeded {
		rs.succeeded = true
		tts := r.tts
		if tts < 0 {
			start := rs.firstAt
			if p.hasPending {
				start = p.pending
			}
			tts = max(r.at-start, 0) / 1000
		}
		p.t.tts = append(p.t.tts, tts)
		p.hasPending = false
		if p.chainOpen {
			p.closeChain()
		}
	}
}

func (p *pass) closeChain() {
	switch p.chainFirst {
	case 0, codeActionNone:
		p.t.first.None++
	case codeActionClearSession:
		p.t.first.ClearSession++
	case codeActionRepairFromChrome, codeActionInteractiveRepair:
		p.t.first.GuidedRepair++
	default:
		p.t.first.Other++
	}
	p.chainOpen = false
}

// finish counts the runs and a chain still open at the end of the window.
func (p *pass) finish() *tally {
	if p.chainOpen && p.chainFirst != 0 {
		p.closeChain()
	} else if p.chainOpen {
		// An open chain with no action yet is counted in chains only.
		p.chainOpen = false
	}
	for i := range p.runs {
		rs := &p.runs[i]
		if !rs.lifecycle {
			continue
		}
		p.t.runs++
		if rs.succeeded {
			p.t.succeeded++
		}
		if rs.interactive {
			p.t.interactive++
			reason := rs.reason
			if reason == "" {
				reason = "UNKNOWN"
			}
			p.t.byReason[reason]++
			if rs.attempted && rs.firstAttemptOK {
				p.t.recoveredFirst++
			}
		}
	}
	return &p.t
}

// builder turns connectors' ordered rows into a report.
type builder struct {
	rep     *Report
	overall tally
	cur     *pass
	curID   string
}

func newBuilder(now time.Time, since *time.Time) *builder {
	return &builder{rep: &Report{GeneratedAt: now.UTC(), Since: since, Connectors: []Figures{}}}
}

func (b *builder) flush() {
	if b.cur == nil {
		return
	}
	t := b.cur.finish()
	b.rep.Connectors = append(b.rep.Connectors, t.figures(b.curID))
	b.overall.add(t)
	b.cur = nil
}

func (b *builder) done() *Report {
	b.flush()
	b.rep.Overall = b.overall.figures("")
	return b.rep
}

// Report computes the report over the stored events at or after since
// (every event when since is nil). Each connector's events are streamed in
// key order (at, event_id), connectors side by side on up to
// min(GOMAXPROCS, 4) connections; all of them read the same snapshot (their
// read transactions begin while no batch can commit), and only per-run
// state is kept in memory.
func (r *Recorder) Report(ctx context.Context, since *time.Time) (*Report, error) {
	if err := r.Flush(ctx); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	from := int64(math.MinInt64)
	if since != nil {
		from = since.UnixMicro()
	}
	conns, ids, err := r.snapshots(ctx, max(1, min(runtime.GOMAXPROCS(0), 4)))
	defer func() {
		for _, c := range conns {
			c.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
			c.Close()
		}
	}()
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	tallies := make([]*tally, len(ids))
	errs := make([]error, len(conns))
	next := make(chan int, len(ids))
	for i := range ids {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for w, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if errs[w] != nil {
					continue
				}
				tallies[i], errs[w] = reportConnector(ctx, c, ids[i], from)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	b := newBuilder(r.clock(), since)
	for i, t := range tallies {
		if t.events == 0 {
			continue // no event in the window
		}
		b.rep.Connectors = append(b.rep.Connectors, t.figures(ids[i]))
		b.overall.add(t)
	}
	return b.done(), nil
}

// snapshots opens n connections in read transactions on one snapshot and
// lists the connectors (with events at any time) in id order. The
// transactions begin under writeMu, through which every write goes, so no
// batch commits between them.
func (r *Recorder) snapshots(ctx context.Context, n int) ([]*sql.Conn, []string, error) {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	var conns []*sql.Conn
	var ids []string
	for i := range n {
		c, err := r.db.Conn(ctx)
		if err != nil {
			return conns, nil, err
		}
		conns = append(conns, c)
		if _, err := c.ExecContext(ctx, readerPragmas+`; BEGIN`); err != nil {
			return conns, nil, err
		}
		if i > 0 {
			// The snapshot is taken at the first read.
			var one int
			if err := c.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM metric_events LIMIT 1)`).Scan(&one); err != nil {
				return conns, nil, err
			}
			continue
		}
		// The connectors, one index seek each.
		last := ""
		for {
			var id string
			err := c.QueryRowContext(ctx, `SELECT connector_id FROM metric_events WHERE connector_id > ? ORDER BY connector_id LIMIT 1`, last).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				break
			}
			if err != nil {
				return conns, nil, err
			}
			ids = append(ids, id)
			last = id
		}
	}
	return conns, ids, nil
}

// reportConnector reads one connector's events at or after from in key
// order and tallies them. It reads through the driver's own rows: a
// report's millions of rows skip database/sql's conversions.
func reportConnector(ctx context.Context, c *sql.Conn, id string, from int64) (*tally, error) {
	const query = `SELECT at_us, run_id, type, auth_mode_used, auth_failure_reason,
	recovery_action, recovery_success, time_to_success_ms FROM metric_events WHERE connector_id = ? AND at_us >= ? ORDER BY at_us, event_id`
	p := newPass()
	err := c.Raw(func(dc any) error {
		q, ok := dc.(driver.QueryerContext)
		if !ok {
			return errors.New("the database driver cannot query")
		}
		rows, err := q.QueryContext(ctx, query, []driver.NamedValue{{Ordinal: 1, Value: id}, {Ordinal: 2, Value: from}})
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, 8)
		var ev row
		for {
			if err := rows.Next(dest); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			var bad bool
			ev.at, bad = intOf(dest[0], -1, bad)
			ev.run, ok = dest[1].(string)
			bad = bad || !ok
			typ, bad1 := intOf(dest[2], 0, bad)
			mode, bad2 := intOf(dest[3], 0, bad1)
			action, bad3 := intOf(dest[5], 0, bad2)
			success, bad4 := intOf(dest[6], -1, bad3)
			ev.tts, bad = intOf(dest[7], -1, bad4)
			reason, ok := dest[4].(string)
			if bad || !ok {
				return fmt.Errorf("stored event of %s at %v: unexpected column types %T %T", id, dest[0], dest[1], dest[4])
			}
			ev.typ, ev.mode, ev.action, ev.success = uint8(typ), uint8(mode), uint8(action), int8(success)
			if code, ok := reasonCodes()[reason]; ok {
				reason = code // one string per code, not one per row
			}
			ev.reason = reason
			p.add(&ev)
		}
	})
	if err != nil {
		return nil, err
	}
	return p.finish(), nil
}

// intOf reads an INTEGER column, null giving def; bad stays set once set.
func intOf(v driver.Value, def int64, bad bool) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, bad
	case nil:
		return def, bad
	}
	return def, true
}
