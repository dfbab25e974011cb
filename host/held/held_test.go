package held

import (
	"context"
	"testing"

	"github.com/authbridge/authbridge/host/apitype"
)

// fakeExt answers cookies.get as an extension with versions does: held
// when asked to hold, unchanged when asked about its current version.
type fakeExt struct {
	value, version string
	asked          []apitype.CookiesGet
}

func (f *fakeExt) ask(ctx context.Context, req apitype.CookiesGet) (apitype.CookiesResult, error) {
	f.asked = append(f.asked, req)
	if req.IfVersion == f.version {
		return apitype.CookiesResult{Version: f.version, Held: req.Hold, Unchanged: true}, nil
	}
	return apitype.CookiesResult{Version: f.version, Held: req.Hold, Cookies: []apitype.Cookie{{Name: "sid", Value: f.value}}}, nil
}

func TestAnswers(t *testing.T) {
	var h Answers
	ext := &fakeExt{value: "V1", version: "x.1"}
	req := apitype.CookiesGet{Domains: []string{"demo.test"}}
	get := func(want string, asked int) {
		t.Helper()
		res, err := h.Get(context.Background(), req, ext.ask)
		if err != nil || len(res.Cookies) != 1 || res.Cookies[0].Value != want || len(ext.asked) != asked {
			t.Fatalf("got %v %v after %d requests, want %s after %d", res.Cookies, err, len(ext.asked), want, asked)
		}
	}
	get("V1", 1)
	if !ext.asked[0].Hold || ext.asked[0].IfVersion != "" {
		t.Fatalf("first request %+v, want hold without if_version", ext.asked[0])
	}
	if cs, ok := h.Held(req); !ok || cs[0].Value != "V1" {
		t.Fatalf("Held = %v %v, want the V1 answer", cs, ok)
	}
	get("V1", 1) // held: not asked again
	if err := h.Stale([]byte(`{"type":"cookies.stale","domains":[["other.test"]]}`)); err != nil {
		t.Fatal(err)
	}
	get("V1", 1) // another connector's notice
	h.Stale([]byte(`{"type":"cookies.stale","domains":[["demo.test"]]}`))
	if _, ok := h.Held(req); ok {
		t.Fatal("an answer is held after cookies.stale named its domains")
	}
	get("V1", 2) // asked again, conditionally: unchanged reuses the cookies
	if ext.asked[1].IfVersion != "x.1" {
		t.Fatalf("second request %+v, want if_version x.1", ext.asked[1])
	}
	ext.value, ext.version = "V2", "x.2"
	if err := h.Stale([]byte(`not json`)); err == nil {
		t.Fatal("a cookies.stale that does not decode was taken")
	}
	get("V2", 3) // every held answer was dropped
}

func TestAnswersRefusesAnUnchangedItDidNotAskAbout(t *testing.T) {
	var h Answers
	ask := func(ctx context.Context, req apitype.CookiesGet) (apitype.CookiesResult, error) {
		return apitype.CookiesResult{Version: "x.9", Unchanged: true}, nil
	}
	if _, err := h.Get(context.Background(), apitype.CookiesGet{Domains: []string{"demo.test"}}, ask); err == nil {
		t.Fatal("an unchanged answer to an unconditional request was taken")
	}
}
