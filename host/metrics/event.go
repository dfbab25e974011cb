package metrics

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/authbridge/authbridge/taxonomy"
)

// Event types.
const (
	TypeRunStarted        = "run_started"
	TypeAuthChecked       = "auth_checked"
	TypeRecoveryAttempted = "recovery_attempted"
	TypeRunSucceeded      = "run_succeeded"
	TypeRunFailed         = "run_failed"
	TypeSessionCleared    = "session_cleared"
)

// Values of auth_mode_used.
const (
	ModeHeadlessOnly        = "headless_only"
	ModeInteractiveRequired = "interactive_required"
)

// Values of recovery_action.
const (
	ActionNone              = "none"
	ActionAutoRepair        = "auto_repair"
	ActionRepairFromChrome  = "repair_from_chrome"
	ActionInteractiveRepair = "interactive_repair"
	ActionClearSession      = "clear_session"
	ActionRetry             = "retry"
)

// Values of source.
const (
	SourceApp  = "app"
	SourceHost = "host"
)

// The enumerations as stored: a value's index is its code in the database,
// and 0 is "not stated" where a field is optional. Append only: a code is
// never renumbered or reused.
var (
	typeNames   = []string{"", TypeRunStarted, TypeAuthChecked, TypeRecoveryAttempted, TypeRunSucceeded, TypeRunFailed, TypeSessionCleared}
	modeNames   = []string{"", ModeHeadlessOnly, ModeInteractiveRequired}
	actionNames = []string{"", ActionNone, ActionAutoRepair, ActionRepairFromChrome, ActionInteractiveRepair, ActionClearSession, ActionRetry}
	sourceNames = []string{"", SourceApp, SourceHost}
)

// Codes of the enumerations, for the report loop.
const (
	codeRunStarted = iota + 1
	codeAuthChecked
	codeRecoveryAttempted
	codeRunSucceeded
	codeRunFailed
	codeSessionCleared
)

const (
	codeModeHeadless = iota + 1
	codeModeInteractive
)

const (
	codeActionNone = iota + 1
	codeActionAutoRepair
	codeActionRepairFromChrome
	codeActionInteractiveRepair
	codeActionClearSession
	codeActionRetry
)

func indexOf(names []string, v string) int {
	for i, n := range names {
		if n == v {
			return i
		}
	}
	return -1
}

// Event is one dogfood event, as sent by the app or recorded by the host.
// It has no free-text field: nothing in it can carry a cookie value, a URL
// or page content.
type Event struct {
	EventID           string    `json:"event_id"`
	Type              string    `json:"type"`
	At                time.Time `json:"at"`
	ConnectorID       string    `json:"connector_id"`
	RunID             string    `json:"run_id"`
	AuthModeUsed      string    `json:"auth_mode_used"`
	AuthFailureReason string    `json:"auth_failure_reason"`
	RecoveryAction    string    `json:"recovery_action"`
	RecoverySuccess   *bool     `json:"recovery_success"`
	TimeToSuccessMS   *int64    `json:"time_to_success_ms"`
	Source            string    `json:"source"`
}

// wireEvent is an event as it arrives: every field optional so that a
// missing one gets its own message.
type wireEvent struct {
	EventID           *string `json:"event_id"`
	Type              *string `json:"type"`
	At                *string `json:"at"`
	ConnectorID       *string `json:"connector_id"`
	RunID             *string `json:"run_id"`
	AuthModeUsed      *string `json:"auth_mode_used"`
	AuthFailureReason *string `json:"auth_failure_reason"`
	RecoveryAction    *string `json:"recovery_action"`
	RecoverySuccess   *bool   `json:"recovery_success"`
	TimeToSuccessMS   *int64  `json:"time_to_success_ms"`
	Source            *string `json:"source"`
}

// reasonCodes maps each taxonomy code an event may carry to one shared
// string, built on first use.
var reasonCodes = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, r := range taxonomy.Reasons() {
		m[string(r.Code)] = string(r.Code)
	}
	return m
})

// validReason reports whether code is a taxonomy code.
func validReason(code string) bool {
	_, ok := reasonCodes()[code]
	return ok
}

func validate(no int, w wireEvent, now time.Time) (Event, []LineError) {
	var errs []LineError
	bad := func(field, format string, args ...any) {
		errs = append(errs, LineError{Line: no, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	ev := Event{
		Type: str(w.Type), ConnectorID: str(w.ConnectorID), RunID: str(w.RunID),
		AuthModeUsed: str(w.AuthModeUsed), AuthFailureReason: str(w.AuthFailureReason),
		RecoveryAction: str(w.RecoveryAction), RecoverySuccess: w.RecoverySuccess,
		TimeToSuccessMS: w.TimeToSuccessMS, Source: str(w.Source),
	}
	if w.EventID == nil {
		ev.EventID = newID()
	} else if id, ok := canonicalUUID(*w.EventID); ok {
		ev.EventID = id
	} else {
		bad("event_id", "%s is not a UUID", short(*w.EventID))
	}
	switch {
	case w.Type == nil:
		bad("type", "missing")
	case indexOf(typeNames, ev.Type) <= 0:
		bad("type", "%s is not one of %s", short(ev.Type), strings.Join(typeNames[1:], ", "))
	}
	if w.At == nil {
		ev.At = now.UTC().Truncate(time.Microsecond)
	} else if t, err := time.Parse(time.RFC3339Nano, *w.At); err != nil {
		bad("at", "%s is not an RFC 3339 time (2026-01-02T15:04:05Z)", short(*w.At))
	} else {
		ev.At = t.UTC().Truncate(time.Microsecond)
	}
	switch {
	case w.ConnectorID == nil || ev.ConnectorID == "":
		bad("connector_id", "missing")
	case !validConnectorID(ev.ConnectorID):
		bad("connector_id", "%s is not a connector id (1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit)", short(ev.ConnectorID))
	}
	if w.RunID == nil {
		bad("run_id", "missing")
	} else if err := checkRunID(ev.RunID); err != nil {
		bad("run_id", "%v", err)
	}
	if indexOf(modeNames, ev.AuthModeUsed) < 0 {
		bad("auth_mode_used", "%s is not one of %s", short(ev.AuthModeUsed), strings.Join(modeNames[1:], ", "))
	}
	if ev.AuthFailureReason != "" && !validReason(ev.AuthFailureReason) {
		bad("auth_failure_reason", "%s is not a taxonomy code", short(ev.AuthFailureReason))
	}
	if indexOf(actionNames, ev.RecoveryAction) < 0 {
		bad("recovery_action", "%s is not one of %s", short(ev.RecoveryAction), strings.Join(actionNames[1:], ", "))
	} else {
		switch ev.Type {
		case TypeRecoveryAttempted:
			if ev.RecoveryAction == "" || ev.RecoveryAction == ActionNone {
				bad("recovery_action", "a recovery_attempted event must name its action")
			}
		case TypeSessionCleared:
			if ev.RecoveryAction != "" && ev.RecoveryAction != ActionClearSession {
				bad("recovery_action", "a session_cleared event's action is clear_session, not %s", short(ev.RecoveryAction))
			}
			ev.RecoveryAction = ActionClearSession
		}
	}
	if ev.RecoverySuccess != nil && ev.Type != TypeRecoveryAttempted && ev.Type != "" {
		bad("recovery_success", "only a recovery_attempted event has one")
	}
	if ev.TimeToSuccessMS != nil {
		if *ev.TimeToSuccessMS < 0 {
			bad("time_to_success_ms", "%d is negative", *ev.TimeToSuccessMS)
		} else if ev.Type != TypeRunSucceeded && ev.Type != "" {
			bad("time_to_success_ms", "only a run_succeeded event has one")
		}
	}
	switch {
	case w.Source == nil:
		ev.Source = SourceApp
	case indexOf(sourceNames, ev.Source) <= 0:
		bad("source", "%s is not one of app, host", short(ev.Source))
	}
	return ev, errs
}

// MaxRunID is the longest run id, in characters.
const MaxRunID = 200

// checkRunID accepts what the app uses as a run id: 1 to MaxRunID
// printable characters of valid UTF-8 (a UUID, or the app's
// "<platform id>-<epoch ms>"), kept verbatim.
func checkRunID(s string) error {
	if s == "" {
		return errors.New("empty: give the run's id (a UUID or the app's <platform id>-<epoch ms>)")
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8", short(s))
	}
	n := 0
	for _, c := range s {
		n++
		if !unicode.IsPrint(c) {
			return fmt.Errorf("%s holds the control or invisible character %U at character %d: a run id is printable text", short(s), c, n)
		}
	}
	if n > MaxRunID {
		return fmt.Errorf("%d characters, longer than %d", n, MaxRunID)
	}
	return nil
}

// short quotes a value for a message, cut to 64 bytes, so a refusal's
// size does not grow with the input.
func short(s string) string {
	const limit = 64
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + fmt.Sprintf("... (%d bytes)", len(s))
}

// shortName cuts an unknown field's name for a message.
func shortName(s string) string {
	if len(s) <= 64 {
		return s
	}
	return short(s)
}

// canonicalUUID accepts the 36-character form only and returns it in lower
// case.
func canonicalUUID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return "", false
	}
	return u.String(), true
}

// validConnectorID is the connector package's id rule:
// ^[a-z0-9][a-z0-9._-]{0,63}$.
func validConnectorID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// newID returns a time-ordered UUID (version 7), which keeps the event id
// index append-mostly.
func newID() string {
	u, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return u.String()
}
