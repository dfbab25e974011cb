package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

const goodLine = `{"type":"run_started","connector_id":"shop","run_id":"6f1c1f0e-5d0a-4b7e-9a57-0c1d2e3f4a5b"}`

// with replaces goodLine's closing brace with extra fields.
func with(fields string) string {
	return strings.TrimSuffix(goodLine, "}") + "," + fields + "}"
}

func TestParseEventsRefusesBadLines(t *testing.T) {
	for _, c := range []struct {
		name, line, field, msg string
	}{
		{"unknown field", with(`"cookie":"secret"`), "cookie", "unknown field"},
		{"url field", with(`"url":"https://x.test/?q=1"`), "url", "unknown field"},
		{"unknown type", `{"type":"run_exploded","connector_id":"shop","run_id":"6f1c1f0e-5d0a-4b7e-9a57-0c1d2e3f4a5b"}`, "type", `"run_exploded" is not one of`},
		{"missing type", `{"connector_id":"shop","run_id":"6f1c1f0e-5d0a-4b7e-9a57-0c1d2e3f4a5b"}`, "type", "missing"},
		{"unknown reason", with(`"auth_failure_reason":"COOKIE_EATEN"`), "auth_failure_reason", "not a taxonomy code"},
		{"lower-case reason", with(`"auth_failure_reason":"session_expired"`), "auth_failure_reason", "not a taxonomy code"},
		{"empty run id", `{"type":"run_started","connector_id":"shop","run_id":""}`, "run_id", "empty"},
		{"run id with a newline", `{"type":"run_started","connector_id":"shop","run_id":"run\n1"}`, "run_id", "control or invisible character U+000A"},
		{"run id with an escape", `{"type":"run_started","connector_id":"shop","run_id":"run\u001b[31m"}`, "run_id", "U+001B"},
		{"run id too long", `{"type":"run_started","connector_id":"shop","run_id":"` + strings.Repeat("r", 201) + `"}`, "run_id", "201 characters, longer than 200"},
		{"run id not a string", `{"type":"run_started","connector_id":"shop","run_id":17}`, "run_id", "want a string"},
		{"missing run", `{"type":"run_started","connector_id":"shop"}`, "run_id", "missing"},
		{"bad event uuid", with(`"event_id":"6f1c1f0e5d0a4b7e9a570c1d2e3f4a5b"`), "event_id", "is not a UUID"},
		{"missing connector", `{"type":"run_started","run_id":"6f1c1f0e-5d0a-4b7e-9a57-0c1d2e3f4a5b"}`, "connector_id", "missing"},
		{"empty connector", with(`"connector_id":""`), "connector_id", "missing"},
		{"bad connector", `{"type":"run_started","connector_id":"Shop Site","run_id":"6f1c1f0e-5d0a-4b7e-9a57-0c1d2e3f4a5b"}`, "connector_id", "is not a connector id"},
		{"bad mode", with(`"auth_mode_used":"manual"`), "auth_mode_used", `"manual" is not one of`},
		{"bad action", with(`"recovery_action":"reboot"`), "recovery_action", `"reboot" is not one of`},
		{"attempt without action", `{"type":"recovery_attempted","connector_id":"shop","run_id":"6f1c1f0e-5d0a-4b7e-9a57-0c1d2e3f4a5b"}`, "recovery_action", "must name its action"},
		{"attempt with none", `{"type":"recovery_attempted","recovery_action":"none","connector_id":"shop","run_id":"6f1c1f0e-5d0a-4b7e-9a57-0c1d2e3f4a5b"}`, "recovery_action", "must name its action"},
		{"clear with other action", `{"type":"session_cleared","recovery_action":"retry","connector_id":"shop","run_id":"6f1c1f0e-5d0a-4b7e-9a57-0c1d2e3f4a5b"}`, "recovery_action", "clear_session"},
		{"success on wrong type", with(`"recovery_success":true`), "recovery_success", "only a recovery_attempted"},
		{"success not bool", with(`"recovery_success":"yes"`), "recovery_success", "want true or false"},
		{"tts on wrong type", with(`"time_to_success_ms":5`), "time_to_success_ms", "only a run_succeeded"},
		{"negative tts", `{"type":"run_succeeded","time_to_success_ms":-1,"connector_id":"shop","run_id":"6f1c1f0e-5d0a-4b7e-9a57-0c1d2e3f4a5b"}`, "time_to_success_ms", "negative"},
		{"fractional tts", `{"type":"run_succeeded","time_to_success_ms":1.5,"connector_id":"shop","run_id":"6f1c1f0e-5d0a-4b7e-9a57-0c1d2e3f4a5b"}`, "time_to_success_ms", "want a whole number"},
		{"bad time", with(`"at":"yesterday"`), "at", "not an RFC 3339 time"},
		{"time without zone", with(`"at":"2026-11-20T10:00:00"`), "at", "not an RFC 3339 time"},
		{"bad source", with(`"source":"browser"`), "source", `"browser" is not one of`},
		{"number for string", with(`"auth_mode_used":3`), "auth_mode_used", "want a string"},
		{"array", `[` + goodLine + `]`, "", "want a JSON object"},
		{"syntax", `{"type":"run_started",`, "", "invalid JSON"},
		{"two objects on a line", goodLine + goodLine, "", "extra data"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The bad line is line 3, between good ones and after a blank line.
			body := goodLine + "\n\n" + c.line + "\n" + goodLine + "\n"
			events, err := ParseEvents([]byte(body), t0)
			var be *BatchError
			if !errors.As(err, &be) {
				t.Fatalf("ParseEvents = %d events, %v; want a *BatchError", len(events), err)
			}
			if events != nil {
				t.Errorf("ParseEvents returned %d events with the error; a refused batch keeps none", len(events))
			}
			if be.BadLines != 1 || be.Events != 3 {
				t.Errorf("BadLines, Events = %d, %d; want 1, 3", be.BadLines, be.Events)
			}
			l := be.Lines[0]
			if l.Line != 3 || l.Field != c.field || !strings.Contains(l.Message, c.msg) {
				t.Errorf("error = line %d field %q %q; want line 3 field %q containing %q", l.Line, l.Field, l.Message, c.field, c.msg)
			}
			if msg := err.Error(); !strings.Contains(msg, "line 3: ") || !strings.Contains(msg, "nothing was stored") {
				t.Errorf("message %q does not name line 3 and say nothing was stored", msg)
			}
		})
	}
}

func TestParseEventsReportsEveryBadLine(t *testing.T) {
	body := strings.Join([]string{
		with(`"auth_failure_reason":"NOPE"`),
		goodLine,
		`{"type":"run_started","connector_id":"shop","run_id":""}`,
		with(`"page":"<html>"`),
	}, "\n")
	_, err := ParseEvents([]byte(body), t0)
	var be *BatchError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v, want *BatchError", err)
	}
	var got []int
	for _, l := range be.Lines {
		got = append(got, l.Line)
	}
	if be.BadLines != 3 || len(got) != 3 || got[0] != 1 || got[1] != 3 || got[2] != 4 {
		t.Errorf("bad lines = %v (%d), want 1, 3, 4", got, be.BadLines)
	}
}

func TestParseEventsDefaults(t *testing.T) {
	events, err := ParseEvents([]byte(goodLine+"\r\n"+with(`"event_id":"6F1C1F0E-5D0A-4B7E-9A57-0C1D2E3F4A5C","at":"2026-11-20T10:00:00.1234567+01:00","source":"host"`)), t0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := events[0], events[1]
	if _, ok := canonicalUUID(a.EventID); !ok || a.At != t0 || a.Source != SourceApp {
		t.Errorf("defaults: event_id %q at %v source %q; want a UUID, %v, app", a.EventID, a.At, a.Source, t0)
	}
	if b.EventID != "6f1c1f0e-5d0a-4b7e-9a57-0c1d2e3f4a5c" {
		t.Errorf("event_id = %q, want it in lower case", b.EventID)
	}
	if want := time.Date(2026, 11, 20, 9, 0, 0, 123456000, time.UTC); !b.At.Equal(want) || b.At.Location() != time.UTC {
		t.Errorf("at = %v, want %v (UTC, to the microsecond)", b.At, want)
	}
}

func TestParseEventsOneObject(t *testing.T) {
	body := "{\n  \"type\": \"session_cleared\",\n  \"connector_id\": \"shop\",\n  \"run_id\": \"6f1c1f0e-5d0a-4b7e-9a57-0c1d2e3f4a5b\"\n}\n"
	events, err := ParseEvents([]byte(body), t0)
	if err != nil || len(events) != 1 {
		t.Fatalf("ParseEvents(pretty object) = %v, %v", events, err)
	}
	if events[0].RecoveryAction != ActionClearSession {
		t.Errorf("session_cleared action = %q, want clear_session", events[0].RecoveryAction)
	}
	if _, err := ParseEvents([]byte(" \n\n"), t0); !errors.Is(err, ErrEmptyBatch) {
		t.Errorf("empty body: %v, want ErrEmptyBatch", err)
	}
}

func FuzzParseEvents(f *testing.F) {
	f.Add([]byte(goodLine))
	f.Add([]byte(with(`"recovery_success":true`) + "\n" + goodLine))
	f.Add([]byte(`{"type":"run_succeeded","time_to_success_ms":5,"connector_id":"a","run_id":"6f1c1f0e-5d0a-4b7e-9a57-0c1d2e3f4a5b"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := ParseEvents(data, t0)
		if err != nil {
			return
		}
		for i := range events {
			var w storedRow
			if err := w.set(&events[i]); err != nil {
				t.Fatalf("a valid event cannot be stored: %v", err)
			}
		}
	})
}

// TestRunIDsVerbatim: the app's run ids ("<platform id>-<epoch ms>"), any
// printable text up to 200 characters, and UUIDs in any case are kept as
// sent.
func TestRunIDsVerbatim(t *testing.T) {
	for _, id := range []string{
		"linkedin-playwright-1764590000000",
		"6F1C1F0E-5D0A-4B7E-9A57-0C1D2E3F4A5B",
		"run 7 / ünïcødé ✓",
		strings.Repeat("é", 200),
		"x",
	} {
		quoted, _ := json.Marshal(id)
		line := `{"type":"run_started","connector_id":"shop","run_id":` + string(quoted) + `}`
		events, err := ParseEvents([]byte(line), t0)
		if err != nil {
			t.Errorf("run_id %q refused: %v", id, err)
			continue
		}
		if events[0].RunID != id {
			t.Errorf("run_id %q became %q", id, events[0].RunID)
		}
	}
}

// TestRefusalIsBounded: a refusal lists the first MaxListed problems and
// counts the rest, however many lines are bad, and quotes no value whole.
func TestRefusalIsBounded(t *testing.T) {
	huge := strings.Repeat("x", 5000)
	for _, c := range []struct {
		name string
		line string
		n    int
	}{
		{"empty objects", `{}`, 100000},
		{"huge values", `{"type":"` + huge + `","connector_id":"` + huge + `","run_id":"` + huge + `","at":"` + huge + `"}`, 300},
		{"huge unknown field", `{"` + huge + `":1}`, 300},
		{"line over the limit", `{"type":"` + strings.Repeat("y", MaxLine) + `"}`, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body strings.Builder
			for range c.n {
				body.WriteString(c.line)
				body.WriteByte('\n')
			}
			_, err := ReadEvents(strings.NewReader(body.String()), t0)
			var be *BatchError
			if !errors.As(err, &be) {
				t.Fatalf("err = %v, want a *BatchError", err)
			}
			if be.BadLines != c.n || be.Events != c.n || len(be.Lines) != MaxListed || be.Problems < c.n {
				t.Errorf("BadLines %d, Events %d, listed %d, problems %d; want %d bad lines, %d listed", be.BadLines, be.Events, len(be.Lines), be.Problems, c.n, MaxListed)
			}
			msg := err.Error()
			if len(msg) > 64<<10 {
				t.Errorf("the refusal is %d bytes, want at most 64 KiB", len(msg))
			}
			if !strings.Contains(msg, "more problems (only the first 100 are listed)") {
				t.Errorf("the refusal does not count the rest:\n%.500s", msg)
			}
		})
	}
}

// FuzzLineMatchesEncodingJSON: whatever encoding/json (with unknown
// fields refused) reads as one event, lineParser reads the same way.
func FuzzLineMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{goodLine, `{}`, ` { "type" : "run_started" , "type":null } `, with(`"recovery_success":true,"time_to_success_ms":-0`),
		with(`"time_to_success_ms":123456789012345678`), with(`"time_to_success_ms":01`), with(`"Type":"x"`), `{"run_id":"a\"b"}`,
		`{"run_id":"é"}`, `{"recovery_success":nullx}`, `{"type":"a",}`, `{"type":"a"}x`, with(`"time_to_success_ms":1e3`),
		with(`"run-id":"x"`), `{"run_id":"\xff"}`, with(`"time_to_success_ms":99999999999999999999`)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		data = bytes.TrimSpace(data)
		if len(data) == 0 || data[0] != '{' {
			return
		}
		var got wireEvent
		d2 := jsontext.NewDecoder(bytes.NewReader(data), lineOptions)
		gotErr := jsonv2.UnmarshalDecode(d2, &got, lineOptions)
		if gotErr == nil {
			if _, err := d2.ReadToken(); err != io.EOF {
				gotErr = errors.New("extra data")
			}
		}
		var want wireEvent
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		wantErr := dec.Decode(&want)
		if wantErr == nil {
			if _, err := dec.Token(); err != io.EOF {
				wantErr = errors.New("extra data")
			}
		}
		if wantErr != nil {
			if gotErr == nil {
				t.Fatalf("encoding/json refuses %q (%v), lineParser reads it", data, wantErr)
			}
			return
		}
		if gotErr != nil {
			t.Fatalf("encoding/json reads %q, lineParser refuses it: %v", data, gotErr)
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if !bytes.Equal(gj, wj) {
			t.Fatalf("%q: lineParser %s, encoding/json %s", data, gj, wj)
		}
	})
}
