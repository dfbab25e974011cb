package metrics

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// ExportTimeFormat is how `at` is written in exports and API answers: UTC,
// always six fractional digits (events are kept to the microsecond).
const ExportTimeFormat = "2006-01-02T15:04:05.000000Z"

// exportEvent is an event in the export schema: every field present, in
// the documented order, at in ExportTimeFormat.
type exportEvent struct {
	EventID           string `json:"event_id"`
	Type              string `json:"type"`
	At                string `json:"at"`
	ConnectorID       string `json:"connector_id"`
	RunID             string `json:"run_id"`
	AuthModeUsed      string `json:"auth_mode_used"`
	AuthFailureReason string `json:"auth_failure_reason"`
	RecoveryAction    string `json:"recovery_action"`
	RecoverySuccess   *bool  `json:"recovery_success"`
	TimeToSuccessMS   *int64 `json:"time_to_success_ms"`
	Source            string `json:"source"`
}

func (e *Event) export() exportEvent {
	return exportEvent{
		EventID: e.EventID, Type: e.Type, At: e.At.UTC().Format(ExportTimeFormat), ConnectorID: e.ConnectorID,
		RunID: e.RunID, AuthModeUsed: e.AuthModeUsed, AuthFailureReason: e.AuthFailureReason,
		RecoveryAction: e.RecoveryAction, RecoverySuccess: e.RecoverySuccess, TimeToSuccessMS: e.TimeToSuccessMS,
		Source: e.Source,
	}
}

// MarshalJSON writes every field, in the documented order, with null for an
// absent recovery_success or time_to_success_ms and "" for an unstated
// string; the export schema depends on this shape.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(e.export())
}

// Page is one page of an export: events in key order and the cursor of the
// next page ("" after the last).
type Page struct {
	Events []Event `json:"events"`
	Next   string  `json:"next"`
}

// MaxPage is the largest export page the API answers.
const MaxPage = 10000

// ExportPage returns up to limit events at or after since (every event when
// since is nil), after the cursor (from the previous page's Next; "" for the
// first page), in (connector_id, at, event_id) order.
func (r *Recorder) ExportPage(ctx context.Context, since *time.Time, cursor string, limit int) (Page, error) {
	if err := r.Flush(ctx); err != nil {
		return Page{}, fmt.Errorf("export: %w", err)
	}
	if limit <= 0 || limit > MaxPage {
		limit = MaxPage
	}
	from := int64(math.MinInt64)
	if since != nil {
		from = since.UnixMicro()
	}
	c, err := decodeCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	rows, err := r.db.QueryContext(ctx, `SELECT connector_id, at_us, event_id, run_id, type, auth_mode_used, auth_failure_reason,
	recovery_action, recovery_success, time_to_success_ms, source FROM metric_events
	WHERE at_us >= ? AND (connector_id, at_us, event_id) > (?, ?, ?) ORDER BY connector_id, at_us, event_id LIMIT ?`,
		from, c.connector, c.at, c.eventID, limit)
	if err != nil {
		return Page{}, fmt.Errorf("export: %w", err)
	}
	defer rows.Close()
	p := Page{Events: []Event{}}
	var last cursorKey
	for rows.Next() {
		ev, key, err := scanEvent(rows)
		if err != nil {
			return Page{}, fmt.Errorf("export: %w", err)
		}
		p.Events = append(p.Events, ev)
		last = key
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("export: %w", err)
	}
	if len(p.Events) == limit {
		p.Next = last.encode()
	}
	return p, nil
}

// WriteNDJSON writes events one JSON object per line.
func WriteNDJSON(w io.Writer, events []Event) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range events {
		if err := enc.Encode(events[i].export()); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func scanEvent(rows *sql.Rows) (Event, cursorKey, error) {
	var (
		ev                        Event
		atUS                      int64
		eid                       []byte
		typ, mode, action, source int64
		success, tts              sql.NullInt64
	)
	if err := rows.Scan(&ev.ConnectorID, &atUS, &eid, &ev.RunID, &typ, &mode, &ev.AuthFailureReason, &action, &success, &tts, &source); err != nil {
		return ev, cursorKey{}, err
	}
	e, err := uuid.FromBytes(eid)
	if err != nil {
		return ev, cursorKey{}, fmt.Errorf("stored event_id: %w", err)
	}
	ev.EventID = e.String()
	ev.At = time.UnixMicro(atUS).UTC()
	ev.Type, ev.AuthModeUsed = name(typeNames, typ), name(modeNames, mode)
	ev.RecoveryAction, ev.Source = name(actionNames, action), name(sourceNames, source)
	if success.Valid {
		v := success.Int64 != 0
		ev.RecoverySuccess = &v
	}
	if tts.Valid {
		v := tts.Int64
		ev.TimeToSuccessMS = &v
	}
	return ev, cursorKey{ev.ConnectorID, atUS, eid}, nil
}

func name(names []string, code int64) string {
	if code < 0 || code >= int64(len(names)) {
		return "code_" + strconv.FormatInt(code, 10)
	}
	return names[code]
}

// cursorKey is the key of the last event of a page.
type cursorKey struct {
	connector string
	at        int64
	eventID   []byte
}

func (k cursorKey) encode() string {
	b := binary.BigEndian.AppendUint64(nil, uint64(k.at))
	b = append(b, k.eventID...)
	b = append(b, k.connector...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ErrBadCursor is returned for an export cursor this package did not make.
var ErrBadCursor = errors.New("bad export cursor")

func decodeCursor(s string) (cursorKey, error) {
	if s == "" {
		return cursorKey{connector: "", at: math.MinInt64, eventID: []byte{}}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 24 {
		return cursorKey{}, ErrBadCursor
	}
	return cursorKey{at: int64(binary.BigEndian.Uint64(b)), eventID: b[8:24], connector: string(b[24:])}, nil
}
