package metrics

import "strconv"

// fastLine decodes the common shape of an event line without the
// reflection of encoding/json: one flat object whose keys are exactly the
// documented names and whose values are printable-ASCII strings without
// escapes, true, false, null or plain integers. It returns false for
// anything else (and for anything wrong), which parseLine then hands to
// encoding/json, so problems are named the same way whichever path reads a
// line. On the lines it accepts it gives the same wireEvent as
// encoding/json: a repeated key's last value wins, null leaves a field
// unset.
func fastLine(text []byte, w *wireEvent) bool {
	i := skipSpace(text, 0)
	if i >= len(text) || text[i] != '{' {
		return false
	}
	i = skipSpace(text, i+1)
	if i < len(text) && text[i] == '}' {
		return skipSpace(text, i+1) == len(text)
	}
	for {
		key, j, ok := plainString(text, i)
		if !ok {
			return false
		}
		j = skipSpace(text, j)
		if j >= len(text) || text[j] != ':' {
			return false
		}
		j = skipSpace(text, j+1)
		if j >= len(text) {
			return false
		}
		if j, ok = fastValue(text, j, string(key), w); !ok {
			return false
		}
		j = skipSpace(text, j)
		if j >= len(text) {
			return false
		}
		switch text[j] {
		case ',':
			i = skipSpace(text, j+1)
		case '}':
			return skipSpace(text, j+1) == len(text)
		default:
			return false
		}
	}
}

// fastValue reads the value of key at text[i:] into w.
func fastValue(text []byte, i int, key string, w *wireEvent) (int, bool) {
	var sp **string
	switch key {
	case "event_id":
		sp = &w.EventID
	case "type":
		sp = &w.Type
	case "at":
		sp = &w.At
	case "connector_id":
		sp = &w.ConnectorID
	case "run_id":
		sp = &w.RunID
	case "auth_mode_used":
		sp = &w.AuthModeUsed
	case "auth_failure_reason":
		sp = &w.AuthFailureReason
	case "recovery_action":
		sp = &w.RecoveryAction
	case "source":
		sp = &w.Source
	case "recovery_success":
		switch {
		case hasWord(text, i, "true"):
			v := true
			w.RecoverySuccess = &v
			return i + 4, true
		case hasWord(text, i, "false"):
			v := false
			w.RecoverySuccess = &v
			return i + 5, true
		case hasWord(text, i, "null"):
			w.RecoverySuccess = nil
			return i + 4, true
		}
		return i, false
	case "time_to_success_ms":
		if hasWord(text, i, "null") {
			w.TimeToSuccessMS = nil
			return i + 4, true
		}
		j := i
		if j < len(text) && text[j] == '-' {
			j++
		}
		start := j
		for j < len(text) && text[j] >= '0' && text[j] <= '9' {
			j++
		}
		// No leading zero, at most 18 digits (no overflow), no fraction or
		// exponent: anything else goes to encoding/json.
		if j == start || j-start > 18 || (text[start] == '0' && j-start > 1) ||
			(j < len(text) && (text[j] == '.' || text[j] == 'e' || text[j] == 'E')) {
			return i, false
		}
		v, err := strconv.ParseInt(string(text[i:j]), 10, 64)
		if err != nil {
			return i, false
		}
		w.TimeToSuccessMS = &v
		return j, true
	default:
		return i, false // unknown field: encoding/json names it
	}
	if hasWord(text, i, "null") {
		*sp = nil
		return i + 4, true
	}
	b, j, ok := plainString(text, i)
	if !ok {
		return i, false
	}
	v := intern(b)
	*sp = &v
	return j, true
}

// plainString reads a string of printable ASCII without escapes at
// text[i:], returning its contents and the index after its closing quote.
func plainString(text []byte, i int) ([]byte, int, bool) {
	if i >= len(text) || text[i] != '"' {
		return nil, i, false
	}
	for j := i + 1; j < len(text); j++ {
		switch c := text[j]; {
		case c == '"':
			return text[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20 || c >= 0x7f:
			return nil, i, false
		}
	}
	return nil, i, false
}

func hasWord(text []byte, i int, w string) bool {
	if len(text)-i < len(w) || string(text[i:i+len(w)]) != w {
		return false
	}
	// The word must end there ("nullx" is not null).
	j := i + len(w)
	return j == len(text) || !(text[j] >= 'a' && text[j] <= 'z' || text[j] >= '0' && text[j] <= '9')
}

func skipSpace(text []byte, i int) int {
	for i < len(text) && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n') {
		i++
	}
	return i
}

// interned are the values that repeat on every line: the enumerations and
// taxonomy codes, shared instead of allocated per event.
var interned = func() map[string]string {
	m := map[string]string{}
	for _, names := range [][]string{typeNames, modeNames, actionNames, sourceNames} {
		for _, n := range names {
			m[n] = n
		}
	}
	for code := range validReasons {
		m[code] = code
	}
	return m
}()

func intern(b []byte) string {
	if s, ok := interned[string(b)]; ok {
		return s
	}
	return string(b)
}
