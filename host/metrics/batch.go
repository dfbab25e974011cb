package metrics

import (
	"bufio"
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// LineError is one problem of one input line.
type LineError struct {
	Line    int    `json:"line"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e LineError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Message)
}

// MaxListed is how many problems a refusal lists; the rest are counted.
const MaxListed = 100

// BatchError refuses a whole batch: it lists the first MaxListed problems
// and counts the rest, so its size does not grow with the input. Nothing of
// a refused batch is stored.
type BatchError struct {
	Lines    []LineError // the first MaxListed problems, in input order
	Problems int         // every problem, listed or not
	BadLines int         // distinct lines with a problem
	Events   int         // lines holding an event, good or bad
}

func (e *BatchError) add(errs []LineError) {
	e.BadLines++
	e.Problems += len(errs)
	if room := MaxListed - len(e.Lines); room > 0 {
		e.Lines = append(e.Lines, errs[:min(room, len(errs))]...)
	}
}

func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "batch refused, nothing was stored: %d of %d events are invalid", e.BadLines, e.Events)
	for _, l := range e.Lines {
		b.WriteString("\n")
		b.WriteString(l.Error())
	}
	if more := e.Problems - len(e.Lines); more > 0 {
		fmt.Fprintf(&b, "\n... and %d more problems (only the first %d are listed)", more, MaxListed)
	}
	return b.String()
}

// ErrEmptyBatch is returned for a body with no event in it.
var ErrEmptyBatch = errors.New("no event in the body: send one JSON object or JSON lines")

// ParseEvents reads one JSON object, or JSON lines (one object per line;
// blank lines are skipped), and validates every event. Missing event ids
// are generated and a missing at becomes now. Any bad line refuses the
// whole batch: the error is a *BatchError naming the first bad lines and
// fields.
func ParseEvents(data []byte, now time.Time) ([]Event, error) {
	return ReadEvents(bytes.NewReader(data), now)
}

// MaxLine is the longest line ReadEvents reads as an event; a longer one is
// refused by number without being kept.
const MaxLine = 64 << 10

// ReadEvents is ParseEvents reading from r as it goes: only the valid
// events and the first problems are kept, never the body. An error from r
// is returned as it is (wrapped), not as a *BatchError.
func ReadEvents(r io.Reader, now time.Time) ([]Event, error) {
	lr := &lineReader{br: bufio.NewReaderSize(r, 64<<10)}
	var events []Event
	be := &BatchError{}
	var lp lineParser
	first := true
	for {
		text, no, tooLong, err := lr.next()
		if err != nil {
			if err == io.EOF {
				break
			}
			return nil, fmt.Errorf("read body: %w", err)
		}
		if first && !tooLong {
			first = false
			// One object spread over several lines (pretty-printed) is one
			// event.
			if text[0] == '{' && !stdjson.Valid(text) {
				whole, err := lr.rest(text)
				if err != nil {
					return nil, fmt.Errorf("read body: %w", err)
				}
				if stdjson.Valid(whole) {
					text = whole
					lr.br = bufio.NewReader(bytes.NewReader(nil))
				} else {
					lr.br = bufio.NewReader(bytes.NewReader(whole[len(text):]))
				}
			}
		}
		first = false
		be.Events++
		if tooLong {
			be.add([]LineError{{Line: no, Message: fmt.Sprintf("longer than %d KiB: one event per line", MaxLine>>10)}})
			continue
		}
		ev, errs := lp.parse(no, text, now)
		if len(errs) > 0 {
			be.add(errs)
			events = nil // a refused batch keeps no event
			continue
		}
		if be.BadLines == 0 {
			events = append(events, ev)
		}
	}
	if be.Events == 0 {
		return nil, ErrEmptyBatch
	}
	if be.BadLines > 0 {
		return nil, be
	}
	return events, nil
}

// lineReader yields the non-blank lines of a body, trimmed, with their
// numbers; a line longer than MaxLine is skipped and flagged.
type lineReader struct {
	br  *bufio.Reader
	no  int
	buf []byte
}

func (lr *lineReader) next() (text []byte, no int, tooLong bool, err error) {
	for {
		lr.no++
		lr.buf = lr.buf[:0]
		long := false
		for {
			chunk, err := lr.br.ReadSlice('\n')
			if !long {
				if len(lr.buf)+len(chunk) > MaxLine+1 {
					long, lr.buf = true, lr.buf[:0]
				} else {
					lr.buf = append(lr.buf, chunk...)
				}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil && err != io.EOF {
				return nil, lr.no, false, err
			}
			if err == io.EOF && len(chunk) == 0 && len(lr.buf) == 0 && !long {
				return nil, lr.no, false, io.EOF
			}
			break
		}
		if long {
			return nil, lr.no, true, nil
		}
		if t := bytes.TrimSpace(lr.buf); len(t) > 0 {
			return t, lr.no, false, nil
		}
		if _, err := lr.br.Peek(1); err == io.EOF {
			return nil, lr.no, false, io.EOF
		}
	}
}

// rest returns first and everything after it, trimmed, bounded by MaxBody.
func (lr *lineReader) rest(first []byte) ([]byte, error) {
	b := append(append([]byte(nil), first...), '\n')
	rest, err := io.ReadAll(io.LimitReader(lr.br, MaxBody))
	if err != nil {
		return nil, err
	}
	return bytes.TrimSpace(append(b, rest...)), nil
}

// lineOptions read an event line as encoding/json always has: a repeated
// key's last value wins, names match case-insensitively (but "_" and "-"
// count) and invalid UTF-8 becomes U+FFFD; any member outside the
// documented fields is refused.
var lineOptions = json.JoinOptions(
	json.RejectUnknownMembers(true),
	json.MatchCaseInsensitiveNames(true),
	jsonv1.MatchCaseSensitiveDelimiter(true),
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
)

// lineParser reads the lines of one batch, reusing its decoder.
type lineParser struct {
	r   bytes.Reader
	dec jsontext.Decoder
}

func (p *lineParser) parse(no int, text []byte, now time.Time) (Event, []LineError) {
	if text[0] != '{' {
		return Event{}, []LineError{{Line: no, Message: "want a JSON object"}}
	}
	var w wireEvent
	p.r.Reset(text)
	p.dec.Reset(&p.r, lineOptions)
	if err := json.UnmarshalDecode(&p.dec, &w, lineOptions); err != nil {
		return Event{}, []LineError{jsonLineError(no, err)}
	}
	if _, err := p.dec.ReadToken(); err != io.EOF {
		return Event{}, []LineError{{Line: no, Message: "extra data after the JSON object"}}
	}
	return validate(no, w, now)
}

// kindNames name a JSON value's kind in messages.
var kindNames = map[jsontext.Kind]string{
	'n': "null", 'f': "bool", 't': "bool", '"': "string", '0': "number", '{': "object", '[': "array",
}

// wantNames say what a field's Go type accepts.
var wantNames = map[string]string{"string": "a string", "bool": "true or false", "int64": "a whole number"}

// jsonLineError turns a decoding error into a message naming the field.
func jsonLineError(no int, err error) LineError {
	var se *json.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case errors.As(err, &se) && errors.Is(se.Err, json.ErrUnknownName):
		return LineError{Line: no, Field: shortName(se.JSONPointer.LastToken()), Message: "unknown field (events carry only the documented fields)"}
	case errors.As(err, &se) && se.GoType != nil:
		want := se.GoType.String()
		if w, ok := wantNames[want]; ok {
			want = w
		}
		got := kindNames[se.JSONKind]
		if got == "" {
			got = "another value"
		}
		return LineError{Line: no, Field: se.JSONPointer.LastToken(), Message: fmt.Sprintf("want %s, got %s", want, got)}
	case errors.As(err, &syn):
		return LineError{Line: no, Message: fmt.Sprintf("invalid JSON at byte %d: %v", syn.ByteOffset, err)}
	}
	return LineError{Line: no, Message: "invalid JSON: " + err.Error()}
}
