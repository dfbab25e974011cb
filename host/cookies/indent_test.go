package cookies

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// TestIndentJSONMatchesEncodingJSON: indentJSON must write exactly what
// json.Indent writes, since the API's answers were json.Encoder's bytes.
func TestIndentJSONMatchesEncodingJSON(t *testing.T) {
	values := []any{
		StorageState{Cookies: []PlaywrightCookie{}, Origins: []StorageOrigin{}},
		StorageState{Cookies: []PlaywrightCookie{{Name: "sid", Value: `a"b\c,{}[]:`, Domain: ".demo.test", Path: "/", Expires: 1.7e9}}, Origins: []StorageOrigin{}},
		map[string]any{"a": []any{}, "b": map[string]any{}, "c": []any{1, "x\\", map[string]any{"d": nil}}, "e": "\u2028\t\n<>&é"},
		[]any{},
		"just a string \\\"",
		3.25,
	}
	for _, v := range values {
		assertIndentLikeJSON(t, v)
	}
}

func assertIndentLikeJSON(t *testing.T, v any) {
	t.Helper()
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := json.Indent(&want, compact.Bytes(), "", "  "); err != nil {
		t.Fatal(err)
	}
	if got := indentJSON(nil, compact.Bytes()); !bytes.Equal(got, want.Bytes()) {
		t.Errorf("indentJSON(%s)\n got %q\nwant %q", compact.Bytes(), got, want.Bytes())
	}
}

func FuzzIndentJSON(f *testing.F) {
	f.Add("sid", `v"\`, 1.5, true)
	f.Add("", "{[,:]}", -1.0, false)
	f.Fuzz(func(t *testing.T, name, value string, exp float64, secure bool) {
		if math.IsNaN(exp) || math.IsInf(exp, 0) {
			return // not JSON
		}
		assertIndentLikeJSON(t, StorageState{Cookies: []PlaywrightCookie{{Name: name, Value: value, Expires: exp, Secure: secure}, {}}, Origins: []StorageOrigin{}})
		assertIndentLikeJSON(t, map[string]any{name: []any{value, map[string]any{}, []any{}}})
	})
}
