//go:build !windows

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/localclient"
)

// TestHeldAnswersFollowEveryChange: the agent answers a connector's cookies
// again from the last answer while the extension holds it (PROTOCOL.md,
// held answers). Four callers read the cookies without pause while the
// real browser changes them: an auth cookie, a cookie of another name, one
// of a subdomain, and a removal. After each change a read returns the new
// set within seconds, and once one has, every read started 50 ms later
// (the window in which concurrent requests share one round trip) returns
// it too: a held answer is never served once it is stale.
func TestHeldAnswersFollowEveryChange(t *testing.T) {
	needChromium(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		c := &http.Cookie{Name: r.URL.Query().Get("name"), Value: r.URL.Query().Get("v"), Path: "/", Domain: r.URL.Query().Get("domain"), MaxAge: 3600}
		if r.URL.Query().Get("remove") != "" {
			c.MaxAge = -1
		}
		http.SetCookie(w, c)
		fmt.Fprint(w, "<p id=done>set</p>")
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	base := "http://held.test:" + port

	w := newWorld(t)
	w.writeConnector(map[string]any{"id": "held", "name": "Held", "domains": []string{"held.test"}, "auth_cookies": []string{"sid"},
		"login_url": base + "/login", "verify": map[string]any{"url": base + "/account", "logged_in_selector": "#me"}})
	w.extraEnv = []string{"AUTHBRIDGE_AUTO_REPAIR=off"}
	w.startBrowser("held.test", "www.held.test")
	visit := func(u string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(w.browser.Ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.ID("done"))); err != nil {
			t.Fatalf("visit %s: %v", u, err)
		}
	}
	visit(base + "/set?name=sid&v=0")

	client := &localclient.Client{Socket: filepath.Join(w.home, "run", "api.sock")}
	// state is what one read saw: name=value of every cookie, by name.
	read := func(ctx context.Context) (map[string]string, error) {
		body, _, err := client.Do(ctx, "GET", "/v1/connectors/held/cookies?format=playwright", nil)
		if err != nil {
			return nil, err
		}
		var st struct {
			Cookies []struct{ Name, Value, Domain string } `json:"cookies"`
		}
		if err := json.Unmarshal(body, &st); err != nil {
			return nil, err
		}
		out := map[string]string{}
		for _, c := range st.Cookies {
			out[c.Name+"@"+c.Domain] = c.Value
		}
		return out, nil
	}
	type sample struct {
		start, end time.Time
		got        map[string]string
	}
	var mu sync.Mutex
	var samples []sample
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				start := time.Now()
				got, err := read(ctx)
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("read: %v", err)
					}
					return
				}
				mu.Lock()
				samples = append(samples, sample{start, time.Now(), got})
				mu.Unlock()
			}
		}()
	}
	defer func() { stop(); wg.Wait() }()

	want := map[string]string{"sid@held.test": "0"}
	changes := []struct {
		what, url string
		apply     func()
	}{
		{"a new value of the auth cookie", "/set?name=sid&v=1", func() { want["sid@held.test"] = "1" }},
		{"a cookie of another name", "/set?name=theme&v=dark", func() { want["theme@held.test"] = "dark" }},
		{"a domain cookie", "/set?name=wide&v=w1&domain=held.test", func() { want["wide@.held.test"] = "w1" }},
		{"the auth cookie again", "/set?name=sid&v=2", func() { want["sid@held.test"] = "2" }},
		{"a removal", "/set?name=theme&v=&remove=1", func() { delete(want, "theme@held.test") }},
		{"the domain cookie again", "/set?name=wide&v=w2&domain=held.test", func() { want["wide@.held.test"] = "w2" }},
	}
	same := func(a, b map[string]string) bool {
		if len(a) != len(b) {
			return false
		}
		for k, v := range a {
			if b[k] != v {
				return false
			}
		}
		return true
	}
	// settle waits for the first read that returns want, then checks every
	// read started 50 ms after it, for at least 300 ms of reads.
	settle := func(what string) {
		t.Helper()
		var seen time.Time
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			n := len(samples)
			var checked int
			for _, s := range samples {
				if seen.IsZero() && same(s.got, want) {
					seen = s.end
				}
				if !seen.IsZero() && s.start.After(seen.Add(50*time.Millisecond)) {
					checked++
					if !same(s.got, want) {
						mu.Unlock()
						t.Fatalf("after %s: a read started %v after the new set was first answered returned %v, want %v",
							what, s.start.Sub(seen).Round(time.Millisecond), s.got, want)
					}
				}
			}
			enough := !seen.IsZero() && checked >= 20 && time.Since(seen) > 350*time.Millisecond
			mu.Unlock()
			if enough {
				return
			}
			if time.Now().After(deadline) {
				mu.Lock()
				last := samples[n-1].got
				mu.Unlock()
				t.Fatalf("after %s: no read returned the browser's new set within 10 s (seen %v, last read %v, want %v)", what, !seen.IsZero(), last, want)
			}
			time.Sleep(20 * time.Millisecond) // the readers run meanwhile; this only paces the check
		}
	}
	settle("the first sign-in")
	for _, c := range changes {
		mu.Lock()
		samples = samples[:0]
		mu.Unlock()
		visit(base + c.url)
		c.apply()
		settle(c.what)
	}
	mu.Lock()
	t.Logf("%d reads in the last round", len(samples))
	mu.Unlock()
}
