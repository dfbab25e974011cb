package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/chromium"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/paths"
	"github.com/authbridge/authbridge/install"
)

var (
	scaleRuns  = flag.Int("scale-runs", 200, "sequential API calls per scale point")
	scaleConc  = flag.Int("scale-callers", 20, "concurrent callers in the scale section")
	scaleEach  = flag.Int("scale-calls", 25, "calls per concurrent caller")
	scaleSizes = flag.String("scale-cookies", "1000,10000", "cookie store sizes of the scale section")
)

// measureScale is the scale section: 1, 10 and 50 connectors over stores
// of 1,000 and 10,000 cookies. For each point the browser is restarted on
// its populated profile, and the figures are the extension's priming time
// (its own answer to watch.set) and the wall time from launch to a primed
// index, then sequential and concurrent API calls; last, a second browser
// profile is connected and each connector must get its own profile's
// cookies.
func measureScale(ctx context.Context) ([]row, error) {
	bin, err := filepath.Abs(*binFlag)
	if err != nil {
		return nil, err
	}
	ext, err := filepath.Abs(*extFlag)
	if err != nil {
		return nil, err
	}
	var rows []row
	for _, size := range strings.Split(*scaleSizes, ",") {
		var total int
		if _, err := fmt.Sscan(strings.TrimSpace(size), &total); err != nil || total < 100 {
			return nil, fmt.Errorf("-scale-cookies: %q is not a cookie count of at least 100", size)
		}
		r, err := scaleStore(ctx, bin, ext, total)
		if err != nil {
			return nil, fmt.Errorf("%d cookies: %w", total, err)
		}
		rows = append(rows, r...)
	}
	return rows, nil
}

func scaleStore(ctx context.Context, bin, ext string, total int) ([]row, error) {
	h, err := newHealEnv(bin, ext, "AUTHBRIDGE_AUTO_REPAIR=off")
	if err != nil {
		if h != nil {
			h.close()
		}
		return nil, err
	}
	defer h.close()
	b := &bench{healEnv: h, bin: bin}
	fmt.Printf("Scale: populating Chromium with %d cookies...\n", total)
	tctx, cancel := context.WithTimeout(h.browser.Ctx, 5*time.Minute)
	for _, u := range scaleBulkURLs(h.port, total) {
		if err := chromedp.Do(tctx, chromedp.Navigate(u)); err != nil {
			cancel()
			return nil, fmt.Errorf("visit %s: %w", u, err)
		}
	}
	cancel()
	if err := h.signIn(); err != nil {
		return nil, err
	}
	home := envValue(h.env, "AUTHBRIDGE_HOME")
	p, _ := paths.Resolve(paths.WithHome(home, os.Getenv))
	def := h.site.Definition(h.siteURL)
	label := fmt.Sprintf("%dk cookies", total/1000)
	var rows []row
	for _, n := range []int{1, 10, 50} {
		// The demo connector and n-1 others, each on one bulk site.
		if err := writeSiteConnectors(p.ConnectorsDir, h.port, def.Verify, n-1); err != nil {
			return nil, err
		}
		if err := waitConnectors(ctx, h, n); err != nil {
			return nil, err
		}
		primed, wall, err := restartAndPrime(ctx, h, ext)
		if err != nil {
			return nil, fmt.Errorf("%d connectors: %w", n, err)
		}
		if got, err := b.browserCookieCount(); err != nil || got < total*95/100 {
			return nil, fmt.Errorf("after the restart the browser holds %d cookies (want about %d): %v", got, total, err)
		}
		// The figures below are the API's, not the browser's start: each
		// point waits until the restarted browser has gone idle.
		if waited, idle := browserIdle(browserPID(h.browser.Ctx), 10*time.Second); os.Getenv("BENCH_VERBOSE") != "" {
			fmt.Printf("  %d connectors: the browser went idle after %v (%v)\n", n, waited.Round(time.Millisecond), idle)
		}
		name := fmt.Sprintf("scale %2d conn × %s: priming (extension)", n, label)
		rows = append(rows, row{name, ms(primed), "", "< 1 s (50 × 10k)", verdict(primed, time.Second)})
		rows = append(rows, row{fmt.Sprintf("scale %2d conn × %s: launch to primed index", n, label), ms(wall), "", "-", "-"})

		ids := []string{"demo"}
		for i := 1; i < n; i++ {
			ids = append(ids, siteConnectorID(i))
		}
		var seq []time.Duration
		for i := 0; i < *scaleRuns; i++ {
			id := ids[i%len(ids)]
			start := time.Now()
			body, _, err := h.client.Do(ctx, "GET", "/v1/connectors/"+id+"/cookies?format=playwright", nil)
			seq = append(seq, time.Since(start))
			if err != nil {
				return nil, fmt.Errorf("cookies of %s: %w", id, err)
			}
			if c := countCookies(body); c < 1 {
				return nil, fmt.Errorf("cookies of %s: %d cookies", id, c)
			}
		}
		s := summarize(seq)
		rows = append(rows, row{fmt.Sprintf("scale %2d conn × %s: API call", n, label), ms(s.median), ms(s.p99), "median < 5 ms", verdict(s.median, 5*time.Millisecond)})

		// One untimed call per caller first: each opens its connection to
		// the agent, so the figure is the steady state, not 20 dials.
		concurrentCalls(ctx, h, ids, *scaleConc, 1)
		conc, failures := concurrentCalls(ctx, h, ids, *scaleConc, *scaleEach)
		s = summarize(conc)
		v := verdict(s.p99, 50*time.Millisecond)
		if failures > 0 {
			v = "MISSES"
		}
		rows = append(rows, row{fmt.Sprintf("scale %2d conn × %s: %d callers (%d failures)", n, label, *scaleConc, failures), ms(s.median), ms(s.p99), "p99 < 50 ms, 0 fail", v})

		if kib, err := extensionHeapKiB(h.browser.Ctx); err == nil {
			rows = append(rows, row{fmt.Sprintf("scale %2d conn × %s: extension JS heap", n, label), fmt.Sprintf("%.1f MiB", float64(kib)/1024), "", "-", "-"})
		} else {
			rows = append(rows, row{fmt.Sprintf("scale %2d conn × %s: extension JS heap", n, label), "n/a", "", "-", err.Error()})
		}
	}
	r, err := twoProfiles(ctx, h, ext, p.ConnectorsDir, label)
	if err != nil {
		return nil, fmt.Errorf("two profiles: %w", err)
	}
	return append(rows, r...), nil
}

func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			v = kv[len(key)+1:]
		}
	}
	return v
}

// scaleSites is the number of other sites the scale stores spread over, so
// that 50 connectors each have cookies of their own at 1,000 cookies too.
const scaleSites = 60

// scaleBulkURLs are bulkURLs' demo pages, then total-50 cookies spread
// evenly over scaleSites sites (at most 170 each: Chrome keeps 180 per site).
func scaleBulkURLs(port string, total int) []string {
	urls := bulkURLs(port, 50)
	rest := total - 50
	per := min(170, (rest+scaleSites-1)/scaleSites)
	for i := 0; rest > 0; i++ {
		n := min(per, rest)
		urls = append(urls, "http://www.site"+fmt.Sprintf("%03d", i)+".test:"+port+fmt.Sprintf("/bulk-cookies?n=%d&prefix=n&domain=site%03d.test", n, i))
		rest -= n
	}
	return urls
}

func siteConnectorID(i int) string { return fmt.Sprintf("site%03d", i) }

// writeSiteConnectors leaves exactly n site connectors in dir (besides
// demo.json): site001 … on the bulk sites site001.test …, whose cookies are
// named n00000 …
func writeSiteConnectors(dir, port string, verify connector.Verify, n int) error {
	if n > scaleSites-1 {
		return fmt.Errorf("%d connectors need %d bulk sites, the store has %d", n, n+1, scaleSites)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "site*.json"))
	for _, f := range old {
		os.Remove(f)
	}
	for i := 1; i <= n; i++ {
		id := siteConnectorID(i)
		base := "http://www." + id + ".test:" + port
		v := verify
		v.URL = base + "/account"
		b, _ := json.Marshal(map[string]any{"id": id, "name": "Bulk " + id, "domains": []string{id + ".test"},
			"auth_cookies": []string{"n00000"}, "login_url": base + "/login", "verify": v})
		tmp := filepath.Join(dir, "."+id+".tmp")
		if err := os.WriteFile(tmp, b, 0o600); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, id+".json")); err != nil {
			return err
		}
	}
	return nil
}

// waitConnectors waits for the agent to list n of the bench's connectors
// (the built-in ones are listed too, and watched: the figures include them).
func waitConnectors(ctx context.Context, h *healEnv, n int) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		var list struct {
			Connectors []struct {
				ID string `json:"id"`
			} `json:"connectors"`
		}
		if err := h.client.JSON(ctx, "GET", "/v1/connectors", nil, &list); err == nil {
			got := 0
			for _, c := range list.Connectors {
				if c.ID == "demo" || strings.HasPrefix(c.ID, "site") {
					got++
				}
			}
			if got == n {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the agent does not list %d connectors", n)
}

// restartAndPrime closes the browser, launches it again on the same profile
// and waits for its new bridge to report a primed index.
func restartAndPrime(ctx context.Context, h *healEnv, ext string) (primed, wall time.Duration, err error) {
	old := map[string]bool{}
	if st, err := h.client.Status(ctx, false); err == nil {
		for _, br := range st.Bridges {
			old[br.ID] = true
		}
	}
	h.browser.Close()
	udd := filepath.Join(h.base, "profile")
	start := time.Now()
	h.browser, err = chromium.Launch(context.Background(), chromium.Options{UserDataDir: udd, Extension: ext,
		HostResolverRules: "MAP *.test 127.0.0.1, MAP test 127.0.0.1", Env: h.env[len(os.Environ()):]})
	if err != nil {
		return 0, 0, err
	}
	br, err := waitIndexed(ctx, h, old, "", 60*time.Second)
	if err != nil {
		return 0, 0, err
	}
	return time.Duration(br.Index.PrimedMS) * time.Millisecond, time.Since(start), nil
}

// waitIndexed waits for a bridge not in old (and bound to profileDir, when
// given) whose extension has answered watch.set.
func waitIndexed(ctx context.Context, h *healEnv, old map[string]bool, profileDir string, limit time.Duration) (apitype.BridgeInfo, error) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		st, err := h.client.Status(ctx, false)
		if err == nil {
			for _, br := range st.Bridges {
				if old[br.ID] || br.Index == nil || br.ProfileDir == "" {
					continue
				}
				if profileDir == "" || br.ProfileDir == profileDir {
					return br, nil
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return apitype.BridgeInfo{}, errors.New("no new bridge reported a primed cookie index")
}

// concurrentCalls runs callers goroutines making each calls cookie requests
// over ids, and returns every call's time and the number that failed.
func concurrentCalls(ctx context.Context, h *healEnv, ids []string, callers, each int) ([]time.Duration, int) {
	var mu sync.Mutex
	var times []time.Duration
	failures := 0
	var wg sync.WaitGroup
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				id := ids[(c+i)%len(ids)]
				start := time.Now()
				body, _, err := h.client.Do(ctx, "GET", "/v1/connectors/"+id+"/cookies?format=playwright", nil)
				d := time.Since(start)
				mu.Lock()
				times = append(times, d)
				if err != nil || countCookies(body) < 1 {
					failures++
				}
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	return times, failures
}

// heapSessions keeps one CDP context per service worker target: cancelling
// a chromedp context closes its target, which would stop the worker and
// drop its bridge. They end with their browser.
var heapSessions = map[target.ID]context.Context{}

// extensionHeapKiB reads the used JS heap of the extension's service worker
// over CDP.
func extensionHeapKiB(bctx context.Context) (int, error) {
	targets, err := chromedp.Targets(bctx)
	if err != nil {
		return 0, err
	}
	for _, t := range targets {
		if t.Type != "service_worker" || !strings.HasPrefix(t.URL, "chrome-extension://") {
			continue
		}
		tctx, ok := heapSessions[t.TargetID]
		if !ok {
			tctx, _ = chromedp.NewContext(bctx, chromedp.WithTargetID(t.TargetID)) //nolint:lostcancel // see heapSessions
			heapSessions[t.TargetID] = tctx
		}
		res, err := chromedp.Call(tctx, runtime.GetHeapUsage, cdp.Empty{})
		if err != nil {
			return 0, err
		}
		return int(res.UsedSize / 1024), nil
	}
	return 0, errors.New("no extension service worker target")
}

// twoProfiles connects a second browser profile signed in on its own, adds
// a connector bound to it, and checks under concurrent calls that each
// connector gets its own profile's cookies: demo has the 50 demo cookies of
// the first profile, demo-b the 2 sign-in cookies of the second.
func twoProfiles(ctx context.Context, h *healEnv, ext, connDir, label string) ([]row, error) {
	st, err := h.client.Status(ctx, false)
	if err != nil {
		return nil, err
	}
	old := map[string]bool{}
	firstProfile := ""
	for _, br := range st.Bridges {
		old[br.ID] = true
		firstProfile = br.ProfileDir
	}
	// The first profile's demo cookies, counted before the second profile
	// exists (the restarts dropped its session cookies).
	body, _, err := h.client.Do(ctx, "GET", "/v1/connectors/demo/cookies?format=playwright", nil)
	if err != nil {
		return nil, err
	}
	firstCount := countCookies(body)
	udd2 := filepath.Join(h.base, "profile-b")
	// The two connectors are defined before the second browser starts: a
	// new definition makes every extension index its domains again (the
	// first profile's 10,000 cookies), which must not fall in the timed
	// calls.
	secondProfile := filepath.Join(udd2, "Default")
	def := h.site.Definition(h.siteURL)
	write := func(id, profile string) error {
		b, _ := json.Marshal(map[string]any{"id": id, "name": id, "domains": def.Domains, "auth_cookies": def.AuthCookies,
			"login_url": def.LoginURL, "verify": def.Verify, "source_profile": profile})
		return os.WriteFile(filepath.Join(connDir, id+".json"), b, 0o600)
	}
	if err := write("demo-a", firstProfile); err != nil {
		return nil, err
	}
	if err := write("demo-b", secondProfile); err != nil {
		return nil, err
	}
	defer os.Remove(filepath.Join(connDir, "demo-a.json"))
	defer os.Remove(filepath.Join(connDir, "demo-b.json"))
	bin, _ := filepath.Abs(*binFlag)
	if _, err := install.Install(install.Options{Home: filepath.Join(h.base, "user"), Binary: bin, Browsers: []string{"chromium"}, UserDataDir: udd2}); err != nil {
		return nil, err
	}
	b2, err := chromium.Launch(context.Background(), chromium.Options{UserDataDir: udd2, Extension: ext,
		HostResolverRules: "MAP *.test 127.0.0.1, MAP test 127.0.0.1", Env: h.env[len(os.Environ()):]})
	if err != nil {
		return nil, err
	}
	defer b2.Close()
	second := &healEnv{site: h.site, siteURL: h.siteURL, browser: b2}
	if err := second.signIn(); err != nil {
		return nil, err
	}
	// Both profiles connected, bound and primed (installing for the second
	// profile may restart the agent: the first browser then reconnects).
	var br2 apitype.BridgeInfo
	deadline0 := time.Now().Add(60 * time.Second)
	for {
		st, err := h.client.Status(ctx, false)
		firstOK := false
		br2 = apitype.BridgeInfo{}
		if err == nil {
			for _, br := range st.Bridges {
				switch {
				case br.Index == nil:
				case br.ProfileDir == firstProfile:
					firstOK = true
				case strings.HasPrefix(br.ProfileDir, udd2):
					br2 = br
				}
			}
		}
		if firstOK && br2.ID != "" {
			break
		}
		if time.Now().After(deadline0) {
			for _, br := range st.Bridges {
				fmt.Printf("  bridge %s profile %q binding %q index %v relay %d\n", br.ID, br.ProfileDir, br.Binding, br.Index != nil, br.RelayPID)
			}
			fmt.Printf("  first profile %q\n", firstProfile)
			return nil, fmt.Errorf("the two profiles are not both connected and bound (first %v, second %q)", firstOK, br2.ProfileDir)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if br2.ProfileDir != secondProfile {
		if err := write("demo-b", br2.ProfileDir); err != nil {
			return nil, err
		}
	}
	want := map[string]int{"demo-a": firstCount, "demo-b": 2}
	if firstCount == 2 {
		return nil, errors.New("the first profile has as many demo cookies as the second: routing cannot be told")
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		body, _, err := h.client.Do(ctx, "GET", "/v1/connectors/demo-b/cookies?format=playwright", nil)
		if err == nil && countCookies(body) == want["demo-b"] {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("demo-b never answered its profile's %d cookies", want["demo-b"])
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st, err := h.client.Status(ctx, false); err == nil {
		for _, br := range st.Bridges {
			method := ""
			if br.BindingDetail != nil {
				method = br.BindingDetail.Method
			}
			fmt.Printf("  bridge %s bound to %s (%s)\n", br.ID, br.ProfileDir, method)
		}
	}
	// Timed once the second browser has finished its start, as the other
	// points are.
	if waited, idle := browserIdle(browserPID(b2.Ctx), 10*time.Second); os.Getenv("BENCH_VERBOSE") != "" {
		fmt.Printf("  two profiles: the second browser went idle after %v (%v)\n", waited.Round(time.Millisecond), idle)
	}
	concurrentCalls(ctx, h, []string{"demo-a", "demo-b"}, *scaleConc, 1) // connections first, untimed
	var mu sync.Mutex
	var times []time.Duration
	wrong, failures := 0, 0
	var wrongSeen []string
	var wg sync.WaitGroup
	for c := 0; c < *scaleConc; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < *scaleEach; i++ {
				id := []string{"demo-a", "demo-b"}[(c+i)%2]
				start := time.Now()
				body, _, err := h.client.Do(ctx, "GET", "/v1/connectors/"+id+"/cookies?format=playwright", nil)
				d := time.Since(start)
				mu.Lock()
				times = append(times, d)
				switch {
				case err != nil:
					failures++
				case countCookies(body) != want[id]:
					wrong++
					if len(wrongSeen) < 3 {
						wrongSeen = append(wrongSeen, fmt.Sprintf("%s answered %d cookies, want %d", id, countCookies(body), want[id]))
					}
				}
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	for _, w := range wrongSeen {
		fmt.Println("  wrong:", w)
	}
	s := summarize(times)
	v := verdict(s.p99, 50*time.Millisecond)
	if wrong+failures > 0 {
		v = "MISSES"
	}
	return []row{{fmt.Sprintf("scale 2 profiles × %s: %d callers (%d wrong, %d failed)", label, *scaleConc, wrong, failures), ms(s.median), ms(s.p99), "right profile, p99 < 50 ms", v}}, nil
}

// browserPID is the process id of the browser behind a chromedp context (0
// when there is none).
func browserPID(ctx context.Context) int {
	if c := chromedp.FromContext(ctx); c != nil && c.Browser != nil {
		if p := c.Browser.Process(); p != nil {
			return p.Pid
		}
	}
	return 0
}
