package verify

import (
	"slices"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
)

func TestPreflight(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	cookies := []apitype.Cookie{
		{Name: "a", Value: "x", Session: true},
		{Name: "b", Value: "x", ExpirationDate: float64(now.Unix() - 1)},
		{Name: "b", Value: "x", ExpirationDate: float64(now.Unix() - 100)},
		{Name: "c", Value: "x", ExpirationDate: float64(now.Unix() - 1)},
		{Name: "c", Value: "x", ExpirationDate: float64(now.Unix() + 100)},
		{Name: "d", Value: ""},
	}
	present, absent, expired := preflight([]string{"a", "b", "c", "d", "e"}, cookies, now)
	if !slices.Equal(present, []string{"a", "c"}) || !slices.Equal(absent, []string{"d", "e"}) || !slices.Equal(expired, []string{"b"}) {
		t.Errorf("preflight = present %v, absent %v, expired %v; want [a c], [d e], [b]", present, absent, expired)
	}
}
