package session

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
)

type busyErr struct{}

func (busyErr) Error() string     { return "profile in use" }
func (busyErr) ProfileBusy() bool { return true }

// fakeProfiles is a ProfileWriter and ProfileWaiter whose profile is held
// until free is closed.
type fakeProfiles struct {
	mu      sync.Mutex
	held    bool
	free    chan struct{}
	written [][]apitype.Cookie
	wrote   chan struct{}
}

func (p *fakeProfiles) Replace(ctx context.Context, dir string, domains []string, cs []apitype.Cookie) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held {
		return busyErr{}
	}
	p.written = append(p.written, cs)
	p.wrote <- struct{}{}
	return nil
}

func (p *fakeProfiles) WaitFree(ctx context.Context, dir string) error {
	select {
	case <-p.free:
		p.mu.Lock()
		p.held = false
		p.mu.Unlock()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestRepairWaitsForAHeldProfile(t *testing.T) {
	profiles := &fakeProfiles{held: true, free: make(chan struct{}), wrote: make(chan struct{}, 4)}
	def := demo
	def.Session = &connector.Session{ProfileDir: "/app/browser-profiles/demo"}
	r := newRig(t, func(c *Config) {
		c.ProfileWriter = profiles
		c.Catalog = fakeCatalog{[]connector.Definition{def}}
	})
	r.browser.set("sid")
	res, err := r.m.Repair(context.Background(), def, "")
	if err != nil {
		t.Fatal(err)
	}
	if !res.Result.Healthy() || len(res.Written) != 0 {
		t.Fatalf("repair of a held profile = %v, wrote %q; want healthy and nothing written", res.Result.Code, res.Written)
	}
	row, _ := r.m.Row(context.Background(), def)
	if !strings.Contains(row.ProfileWait, def.Session.ProfileDir) || strings.Count(row.ProfileWait, ".") != strings.Count(def.Session.ProfileDir, ".")+1 {
		t.Errorf("row while held: %q, want one sentence naming the profile", row.ProfileWait)
	}
	if row.ProfileDir != def.Session.ProfileDir {
		t.Errorf("row profile = %q", row.ProfileDir)
	}
	// A second repair while waiting starts no second waiter.
	r.browser.set("sid", "other")
	if _, err := r.m.Repair(context.Background(), def, ""); err != nil {
		t.Fatal(err)
	}
	close(profiles.free)
	select {
	case <-profiles.wrote:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing written once the profile was free")
	}
	deadline := time.Now().Add(10 * time.Second)
	for row, _ = r.m.Row(context.Background(), def); row.ProfileWait != ""; row, _ = r.m.Row(context.Background(), def) {
		if time.Now().After(deadline) {
			t.Fatal("the row still says it waits after the write")
		}
		time.Sleep(5 * time.Millisecond)
	}
	profiles.mu.Lock()
	defer profiles.mu.Unlock()
	if len(profiles.written) != 1 || len(profiles.written[0]) != 2 {
		t.Errorf("written %d times, last with %d cookies; want once, with the latest repair's 2", len(profiles.written), len(profiles.written[0]))
	}
}

func TestProfileErrorsOtherThanBusyFailTheRepair(t *testing.T) {
	def := demo
	def.Session = &connector.Session{ProfileDir: "/p"}
	r := newRig(t, func(c *Config) { c.ProfileWriter = failingWriter{} })
	r.browser.set("sid")
	if _, err := r.m.Repair(context.Background(), def, ""); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("repair = %v, want the writer's error", err)
	}
}

type failingWriter struct{}

func (failingWriter) Replace(context.Context, string, []string, []apitype.Cookie) error {
	return errors.New("disk full")
}
func (failingWriter) WaitFree(context.Context, string) error { return nil }

// gatedProfiles is a ProfileWriter whose writes wait for gate.
type gatedProfiles struct {
	gate    chan struct{}
	started chan struct{}
}

func (p *gatedProfiles) Replace(ctx context.Context, dir string, domains []string, cs []apitype.Cookie) error {
	p.started <- struct{}{}
	select {
	case <-p.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestHealthyBeforeTheProfileWrite checks that a repair of a connector with
// a profile records Healthy, and tells the notifier, as soon as the live
// cookies verify: the profile write follows, the row saying so, and the
// repair's answer lists the profile once written.
func TestHealthyBeforeTheProfileWrite(t *testing.T) {
	profiles := &gatedProfiles{gate: make(chan struct{}), started: make(chan struct{}, 1)}
	def := demo
	def.Session = &connector.Session{ProfileDir: "/app/browser-profiles/demo"}
	r := newRig(t, func(c *Config) {
		c.ProfileWriter = profiles
		c.Catalog = fakeCatalog{[]connector.Definition{def}}
	})
	r.browser.set("sid")
	done := make(chan apitype.ActionResult, 1)
	go func() {
		res, err := r.m.Repair(context.Background(), def, "")
		if err != nil {
			t.Errorf("repair: %v", err)
		}
		done <- res
	}()
	<-profiles.started
	row, err := r.m.Row(context.Background(), def)
	if err != nil {
		t.Fatal(err)
	}
	if row.HealthKey != "healthy" || !row.ProfileWriting || row.RepairInProgress || row.ProfileWrittenAt != nil {
		t.Errorf("row during the profile write: health %s, writing %v, repairing %v, written at %v; want healthy, writing, not repairing, not written yet",
			row.HealthKey, row.ProfileWriting, row.RepairInProgress, row.ProfileWrittenAt)
	}
	pushedHealthy := false
	for _, p := range r.notifier.take() {
		for _, pr := range p {
			pushedHealthy = pushedHealthy || (pr.HealthKey == "healthy" && pr.ProfileWriting)
		}
	}
	if !pushedHealthy {
		t.Errorf("the notifier was not told Healthy before the profile write")
	}
	close(profiles.gate)
	res := <-done
	if !res.Result.Healthy() || len(res.Written) != 1 || res.Written[0] != def.Session.ProfileDir {
		t.Errorf("repair answered %s, written %v; want healthy and the profile", res.Result.Code, res.Written)
	}
	if res.Row.ProfileWriting || res.Row.ProfileWrittenAt == nil {
		t.Errorf("row after the write: writing %v, written at %v; want done with a time", res.Row.ProfileWriting, res.Row.ProfileWrittenAt)
	}
}
