package metrics

import (
	"context"
	"io"
	"slices"
	"strings"
	"time"
)

// BuildReport is the tests' oracle: the report computed from events in
// memory (any order; they are sorted by connector, at, event_id), through
// the same pass as Recorder.Report. Events before since are left out when
// since is set.
func BuildReport(events []Event, since *time.Time, now time.Time) *Report {
	evs := make([]*Event, 0, len(events))
	for i := range events {
		if since != nil && events[i].At.Before(*since) {
			continue
		}
		evs = append(evs, &events[i])
	}
	slices.SortFunc(evs, func(a, b *Event) int {
		if c := strings.Compare(a.ConnectorID, b.ConnectorID); c != 0 {
			return c
		}
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.EventID, b.EventID)
	})
	b := newBuilder(now, since)
	for i, ev := range evs {
		if i == 0 || ev.ConnectorID != evs[i-1].ConnectorID {
			b.connector(ev.ConnectorID)
		}
		r := row{
			at: ev.At.UnixMicro(), typ: uint8(indexOf(typeNames, ev.Type)), mode: uint8(max(indexOf(modeNames, ev.AuthModeUsed), 0)),
			action: uint8(max(indexOf(actionNames, ev.RecoveryAction), 0)), success: -1, reason: ev.AuthFailureReason, tts: -1,
		}
		r.run = ev.RunID
		if ev.RecoverySuccess != nil {
			r.success = 0
			if *ev.RecoverySuccess {
				r.success = 1
			}
		}
		if ev.TimeToSuccessMS != nil {
			r.tts = *ev.TimeToSuccessMS
		}
		b.cur.add(&r)
	}
	return b.done()
}

func (b *builder) connector(id string) {
	b.flush()
	b.cur, b.curID = newPass(), id
}

// Export writes every event at or after since as JSON lines (the export
// schema), in (connector_id, at, event_id) order.
func (r *Recorder) Export(ctx context.Context, w io.Writer, since *time.Time) error {
	cursor := ""
	for {
		p, err := r.ExportPage(ctx, since, cursor, MaxPage)
		if err != nil {
			return err
		}
		if err := WriteNDJSON(w, p.Events); err != nil {
			return err
		}
		if p.Next == "" {
			return nil
		}
		cursor = p.Next
	}
}
