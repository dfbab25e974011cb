package held

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
)

func TestGroupJoinsInFlightRequestsOnly(t *testing.T) {
	var g Group
	var calls atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{})
	get := func(context.Context) (apitype.CookiesResult, error) {
		if calls.Add(1) == 1 {
			close(started)
		}
		<-release
		return apitype.CookiesResult{Cookies: []apitype.Cookie{{Name: "sid"}}}, nil
	}
	var wg sync.WaitGroup
	results := make([]int, 10)
	wg.Add(1)
	go func() {
		defer wg.Done()
		r, _ := g.Do(context.Background(), context.Background(), "k", get)
		results[0] = len(r.Cookies)
	}()
	<-started
	for i := 1; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, _ := g.Do(context.Background(), context.Background(), "k", get)
			results[i] = len(r.Cookies)
		}(i)
	}
	for joined := 0; joined < 9; {
		g.mu.Lock()
		joined = g.inflight["k"].joined
		g.mu.Unlock()
		runtime.Gosched()
	}
	// A caller that gives up stops waiting; the shared request goes on.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.Do(ctx, context.Background(), "k", get); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled joiner got %v, want context.Canceled", err)
	}
	close(release)
	wg.Wait()
	for i, n := range results {
		if n != 1 {
			t.Errorf("caller %d got %d cookies, want 1", i, n)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("get ran %d times for 11 concurrent callers, want 1", n)
	}
	before := calls.Load()
	if _, err := g.Do(context.Background(), context.Background(), "k", get); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != before+1 {
		t.Error("an answered request was reused: the group must not cache")
	}
	if _, err := g.Do(context.Background(), context.Background(), "other", get); err != nil || calls.Load() != before+2 {
		t.Error("another key must run its own request")
	}
}

func TestGroupCancelsARequestEveryCallerLeft(t *testing.T) {
	var g Group
	var calls atomic.Int32
	cancelled := make(chan struct{})
	hang := func(ctx context.Context) (apitype.CookiesResult, error) {
		calls.Add(1)
		<-ctx.Done()
		close(cancelled)
		return apitype.CookiesResult{}, ctx.Err()
	}
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	if _, err := g.Do(ctx, context.Background(), "k", hang); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	<-cancelled // the extension request is cancelled with its last caller
	ok := func(context.Context) (apitype.CookiesResult, error) {
		calls.Add(1)
		return apitype.CookiesResult{Cookies: []apitype.Cookie{{Name: "sid"}}}, nil
	}
	r, err := g.Do(context.Background(), context.Background(), "k", ok)
	if err != nil || len(r.Cookies) != 1 || calls.Load() != 2 {
		t.Fatalf("the next caller got %v, %v after %d calls: want its own request", r, err, calls.Load())
	}
}

func TestGroupDoesNotJoinAnOldRequest(t *testing.T) {
	var g Group
	var calls atomic.Int32
	release := make(chan struct{})
	get := func(context.Context) (apitype.CookiesResult, error) {
		calls.Add(1)
		<-release
		return apitype.CookiesResult{}, nil
	}
	done := make(chan struct{})
	go func() {
		g.Do(context.Background(), context.Background(), "k", get)
		close(done)
	}()
	for calls.Load() == 0 {
		runtime.Gosched()
	}
	g.mu.Lock()
	g.inflight["k"].started = time.Now().Add(-JoinWindow) // as if sent long ago
	g.mu.Unlock()
	go g.Do(context.Background(), context.Background(), "k", get)
	for calls.Load() < 2 {
		runtime.Gosched()
	}
	close(release)
	<-done
}
