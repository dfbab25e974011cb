package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/session"
)

// MaxBody is the largest POST /v1/events body the agent reads.
const MaxBody = 64 << 20

// Routes are the local API routes of the metrics, for agent.Config's
// ExtraRoutes (localapi.HandlerFunc).
func Routes(r *Recorder) map[string]func(context.Context, *http.Request) (any, error) {
	return map[string]func(context.Context, *http.Request) (any, error){
		"POST /v1/events":       r.apiEvents,
		"GET /v1/report":        r.apiReport,
		"GET /v1/events/export": r.apiExport,
	}
}

func badRequest(format string, args ...any) error {
	return &apitype.Error{Status: http.StatusBadRequest, Code: apitype.CodeBadRequest, Message: fmt.Sprintf(format, args...)}
}

// apiEvents stores one JSON object or JSON lines. It answers 200 only once
// the whole batch is committed, and refuses the whole batch (400, the first
// MaxListed problems and a count of the rest) when any line is invalid. The
// body is parsed as it arrives: only valid events are kept.
func (r *Recorder) apiEvents(ctx context.Context, req *http.Request) (any, error) {
	if req.Body == nil {
		return nil, badRequest("%v", ErrEmptyBatch)
	}
	body := &limitedBody{r: req.Body, left: MaxBody}
	events, err := ReadEvents(body, r.clock())
	if body.over {
		return nil, &apitype.Error{Status: http.StatusRequestEntityTooLarge, Code: apitype.CodeBadRequest,
			Message: fmt.Sprintf("body larger than %d MiB: send the events in smaller batches", MaxBody>>20)}
	}
	if err != nil {
		return nil, badRequest("%v", err)
	}
	return r.Record(ctx, events)
}

// limitedBody reads at most left bytes, then fails with errBodyTooLarge.
type limitedBody struct {
	r    io.Reader
	left int64
	over bool
}

var errBodyTooLarge = errors.New("body too large")

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			l.over = true
			return 0, errBodyTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

func (r *Recorder) apiReport(ctx context.Context, req *http.Request) (any, error) {
	since, err := ParseSince(req.URL.Query().Get("since"), r.clock())
	if err != nil {
		return nil, badRequest("since: %v", err)
	}
	return r.Report(ctx, since)
}

// apiExport answers one page of the export: ?since=&after=CURSOR&limit=N.
func (r *Recorder) apiExport(ctx context.Context, req *http.Request) (any, error) {
	q := req.URL.Query()
	since, err := ParseSince(q.Get("since"), r.clock())
	if err != nil {
		return nil, badRequest("since: %v", err)
	}
	limit := MaxPage
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit <= 0 {
			return nil, badRequest("limit: %q is not a positive number", s)
		}
	}
	p, err := r.ExportPage(ctx, since, q.Get("after"), limit)
	if errors.Is(err, ErrBadCursor) {
		return nil, badRequest("after: %v", err)
	}
	return p, err
}

// ParseSince reads a window start: "" (no window), a Go duration back from
// now ("24h", "168h", "90m") or an RFC 3339 time.
func ParseSince(s string, now time.Time) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return nil, fmt.Errorf("%q is negative", s)
		}
		t := now.Add(-d).UTC().Truncate(time.Microsecond)
		return &t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, fmt.Errorf("%q is neither a duration (24h) nor an RFC 3339 time", s)
	}
	t = t.UTC()
	return &t, nil
}

// OnOutcome records one of the host's own actions as an event (source
// "host"), for agent.Config's OnOutcome. It never waits: the event is
// queued for the recorder's writer (reports and exports flush the queue
// first). The mapping: verify becomes auth_checked; a
// repair, auto-repair or interactive repair becomes recovery_attempted
// with recovery_success; a clear becomes session_cleared. The event joins
// the app's run when the action was given its run_id, else a run of its own
// (which the report does not count as a run: see the package doc).
func (r *Recorder) OnOutcome(ctx context.Context, o session.Outcome) {
	ev, ok := hostEvent(o)
	if !ok {
		r.log.Warn("metrics: host action not recorded: unknown action", "action", o.Action, "connector", o.Connector)
		return
	}
	if !r.enqueue(ev) {
		r.log.Warn("metrics: host action not recorded: the queue is full or closed", "action", o.Action, "connector", o.Connector)
	}
}

// hostEvent maps a host action to its event.
func hostEvent(o session.Outcome) (Event, bool) {
	at := o.At
	if at.IsZero() {
		at = time.Now()
	}
	runID := o.RunID
	if checkRunID(runID) != nil {
		runID = uuid.NewString()
	}
	ev := Event{EventID: newID(), At: at.UTC().Truncate(time.Microsecond), ConnectorID: o.Connector, RunID: runID, Source: SourceHost}
	reason := ""
	if o.Result.Code != "" && !o.Result.Healthy() {
		reason = string(o.Result.Code)
	}
	if !validReason(reason) {
		reason = ""
	}
	ok := true
	switch o.Action {
	case "verify":
		ev.Type, ev.AuthFailureReason, ev.RecoveryAction = TypeAuthChecked, reason, ActionNone
	case ActionRepairFromChrome, ActionInteractiveRepair, ActionAutoRepair:
		success := o.Result.Healthy()
		ev.Type, ev.AuthFailureReason, ev.RecoveryAction, ev.RecoverySuccess = TypeRecoveryAttempted, reason, o.Action, &success
		ev.AuthModeUsed = ModeInteractiveRequired
		if o.Action == ActionAutoRepair {
			ev.AuthModeUsed = ModeHeadlessOnly
		}
	case ActionClearSession:
		ev.Type, ev.RecoveryAction = TypeSessionCleared, ActionClearSession
	default:
		ok = false
	}
	if !validConnectorID(ev.ConnectorID) {
		ok = false
	}
	return ev, ok
}
