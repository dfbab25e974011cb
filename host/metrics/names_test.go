package metrics

import (
	"errors"
	"testing"
)

// TestFieldNamesMatchAsEncodingJSON: names match case-insensitively, as
// encoding/json matched them, but a name spelled with another delimiter is
// an unknown field.
func TestFieldNamesMatchAsEncodingJSON(t *testing.T) {
	if _, err := ParseEvents([]byte(`{"Type":"run_started","CONNECTOR_ID":"shop","run_id":"r1"}`), t0); err != nil {
		t.Errorf("names in another case: %v", err)
	}
	for _, name := range []string{"run-id", "runid", "RunID"} {
		_, err := ParseEvents([]byte(`{"type":"run_started","connector_id":"shop","`+name+`":"r1"}`), t0)
		var be *BatchError
		if !errors.As(err, &be) || be.Lines[0].Field != name {
			t.Errorf("%s: err = %v, want an unknown field %s", name, err, name)
		}
	}
}
