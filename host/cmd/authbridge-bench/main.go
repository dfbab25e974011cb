// Command authbridge-bench measures authbridge against the targets the issues
// set, on a real headless Chromium holding 10,000 cookies, and prints
// medians and p99s. `make bench` runs it.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/internal/devext"
)

func main() {
	os.Exit(run())
}

var (
	binFlag   = flag.String("bin", "bin/authbridge", "the authbridge binary to measure")
	extFlag   = flag.String("extension", "extension", "the unpacked extension")
	totalFlag = flag.Int("cookies", 10000, "cookies in the browser")
	cliRuns   = flag.Int("cli-runs", 60, "runs of the whole CLI")
	apiRuns   = flag.Int("api-runs", 400, "API calls")
	healRuns  = flag.Int("heal-runs", 10, "sign-ins healed through live events")
	diskRuns  = flag.Int("disk-runs", 2, "sign-ins healed through the disk watcher alone (each waits for Chrome to write its store, up to 30 s)")
	idleFor   = flag.Duration("idle", 60*time.Second, "how long to measure the idle agent's CPU")
	events    = flag.Int("events", 1_000_000, "events to ingest for the metrics measure")
	only      = flag.String("only", "", "run only these sections, comma separated: cookies,firefox,runner,heal,idle,store,metrics,discovery,scale,startup")
)

func want(section string) bool {
	if *only == "" {
		return true
	}
	for _, s := range strings.Split(*only, ",") {
		if strings.TrimSpace(s) == section {
			return true
		}
	}
	return false
}

func run() int {
	flag.Parse()
	ctx := context.Background()
	// The bench's browsers load a development copy that grants every site
	// at load (as a user who allowed them all): the grant checks run on
	// every call, as they do for a user's allowed connectors.
	devDir, err := os.MkdirTemp("", "authbridge-bench-ext")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench setup:", err)
		return 1
	}
	defer os.RemoveAll(devDir)
	if err := devext.Copy(*extFlag, filepath.Join(devDir, "extension"), devext.AllSites); err != nil {
		fmt.Fprintln(os.Stderr, "bench setup:", err)
		return 1
	}
	*extFlag = filepath.Join(devDir, "extension")
	var rows []row
	if want("cookies") || want("runner") {
		b := &bench{}
		if err := b.setup(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "bench setup:", err)
			b.close()
			return 1
		}
		for _, s := range []struct {
			name string
			f    func(context.Context) ([]row, error)
		}{{"cookies", b.measure}, {"runner", b.measureRunner}} {
			if !want(s.name) {
				continue
			}
			r, err := s.f(ctx)
			if err != nil {
				b.close()
				fmt.Fprintf(os.Stderr, "bench %s: %v\n", s.name, err)
				return 1
			}
			rows = append(rows, r...)
		}
		b.close()
	}
	for _, s := range []struct {
		name string
		f    func(context.Context) ([]row, error)
	}{{"firefox", measureFirefox}, {"heal", measureHeal}, {"idle", measureIdle}, {"store", measureStore}, {"metrics", measureMetrics}, {"discovery", measureDiscovery}, {"scale", measureScale}, {"startup", measureStartup}} {
		if !want(s.name) {
			continue
		}
		r, err := s.f(ctx)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench %s: %v\n", s.name, err)
			return 1
		}
		rows = append(rows, r...)
	}
	fmt.Println()
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		// The figures are wall-clock times on a machine others may share.
		fmt.Printf("load average at the end (1, 5, 15 min): %s\n", strings.Join(strings.Fields(string(b))[:3], " "))
	}
	fmt.Printf("%-50s %12s %12s  %-18s %s\n", "measure", "median", "p99", "target", "")
	for _, r := range rows {
		fmt.Printf("%-50s %12s %12s  %-18s %s\n", r.name, r.median, r.p99, r.target, r.verdict)
	}
	return 0
}

// bench is the cookie-latency set-up: a heal environment (home, agent,
// demo site, browser with the extension) whose browser then gets 10,000
// cookies.
type bench struct {
	*healEnv
	bin string
}

func (b *bench) close() {
	if b.healEnv != nil {
		b.healEnv.close()
	}
}

func (b *bench) setup(ctx context.Context) error {
	var err error
	if b.bin, err = filepath.Abs(*binFlag); err != nil {
		return err
	}
	ext, err := filepath.Abs(*extFlag)
	if err != nil {
		return err
	}
	b.healEnv, err = newHealEnv(b.bin, ext, "AUTHBRIDGE_AUTO_REPAIR=off")
	if err != nil {
		return err
	}
	fmt.Printf("Populating Chromium with %d cookies through real Set-Cookie responses...\n", *totalFlag)
	start := time.Now()
	if err := b.populate(); err != nil {
		return err
	}
	n, err := b.browserCookieCount()
	if err != nil {
		return err
	}
	fmt.Printf("  the browser holds %d cookies (%.1fs to populate)\n", n, time.Since(start).Seconds())
	return nil
}

// populate fills the profile: 50 cookies of the demo connector over its
// subdomains and paths (48 bulk plus the sign-in's sid and theme), the rest
// spread over other sites at most 170 per site (Chrome keeps 180 per
// registrable domain).
func (b *bench) populate() error {
	tctx, cancel := context.WithTimeout(b.browser.Ctx, 5*time.Minute)
	defer cancel()
	for _, u := range bulkURLs(b.port, *totalFlag) {
		if err := chromedp.Do(tctx, chromedp.Navigate(u)); err != nil {
			return fmt.Errorf("visit %s: %w", u, err)
		}
	}
	return b.signIn()
}

// bulkURLs are the demo site's pages that set total cookies: 48 of the demo
// connector (the sign-in adds sid and theme) and the rest over other sites.
func bulkURLs(port string, total int) []string {
	site := func(host, query string) string {
		return "http://" + host + ":" + port + "/bulk-cookies?" + query
	}
	urls := []string{
		site("demo.test", "n=10&prefix=a"),
		site("demo.test", "n=10&prefix=b&domain=demo.test"),
		site("www.demo.test", "n=10&prefix=c"),
		site("api.demo.test", "n=10&prefix=d&path=/api"),
		site("x.y.demo.test", "n=8&prefix=e&domain=y.demo.test&path=/deep/path"),
	}
	rest := total - 50
	for i := 0; rest > 0; i++ {
		n := min(170, rest)
		urls = append(urls, site(fmt.Sprintf("www.site%03d.test", i), fmt.Sprintf("n=%d&prefix=n&domain=site%03d.test", n, i)))
		rest -= n
	}
	return urls
}

func (b *bench) browserCookieCount() (int, error) {
	cs, err := chromedp.Run(b.browser.Ctx, chromedp.Action[[]*network.Cookie](func(ctx context.Context, t *chromedp.Target) ([]*network.Cookie, error) {
		r, err := cdp.Call(ctx, t, storage.GetCookies, storage.GetCookiesParams{})
		return r.Cookies, err
	}))
	return len(cs), err
}

// stats are nearest-rank percentiles of durations.
type stats struct{ median, p99 time.Duration }

func summarize(ds []time.Duration) stats {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	rank := func(p float64) time.Duration {
		k := int(p*float64(len(ds))+0.999999) - 1
		return ds[max(0, min(k, len(ds)-1))]
	}
	return stats{rank(0.5), rank(0.99)}
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + " ms"
}

type row struct {
	name, median, p99, target, verdict string
}

func verdict(got, target time.Duration) string {
	if got < target {
		return "meets"
	}
	return "MISSES"
}

func (b *bench) measure(ctx context.Context) ([]row, error) {
	var rows []row
	// Warm up: the first request primes the extension's index.
	body, _, err := b.client.Do(ctx, "GET", "/v1/connectors/demo/cookies?format=playwright", nil)
	if err != nil {
		return nil, err
	}
	if n := countCookies(body); n != 50 {
		return nil, fmt.Errorf("the connector's answer has %d cookies, want 50", n)
	}

	var api []time.Duration
	for i := 0; i < *apiRuns; i++ {
		start := time.Now()
		body, _, err := b.client.Do(ctx, "GET", "/v1/connectors/demo/cookies?format=playwright", nil)
		api = append(api, time.Since(start))
		if err != nil {
			return nil, err
		}
		if n := countCookies(body); n != 50 {
			return nil, fmt.Errorf("API answer %d has %d cookies, want 50", i, n)
		}
	}
	s := summarize(api)
	rows = append(rows, row{"cookies, API call (50 of 10,000 cookies)", ms(s.median), ms(s.p99), "median < 5 ms", verdict(s.median, 5*time.Millisecond)})

	var cli []time.Duration
	for i := 0; i < *cliRuns; i++ {
		cmd := exec.Command(b.bin, "cookies", "demo", "--format", "playwright")
		cmd.Env = b.env
		var out bytes.Buffer
		cmd.Stdout = &out
		start := time.Now()
		err := cmd.Run()
		cli = append(cli, time.Since(start))
		if err != nil {
			return nil, fmt.Errorf("authbridge cookies: %w", err)
		}
		if n := countCookies(out.Bytes()); n != 50 {
			return nil, fmt.Errorf("CLI answer %d has %d cookies, want 50", i, n)
		}
	}
	s = summarize(cli)
	rows = append(rows, row{"cookies, whole CLI process", ms(s.median), ms(s.p99), "median < 20 ms", verdict(s.median, 20*time.Millisecond)})

	var ver []time.Duration
	for i := 0; i < 100; i++ {
		start := time.Now()
		ans, _, err := b.client.Verify(ctx, "demo", "")
		ver = append(ver, time.Since(start))
		if err != nil {
			return nil, err
		}
		if ans.Result.Code != "OK" {
			return nil, fmt.Errorf("verify answered %s, want OK", ans.Result.Code)
		}
	}
	s = summarize(ver)
	rows = append(rows, row{"verify, HTTP probe via the API (demo site)", ms(s.median), ms(s.p99), "median < 20 ms", verdict(s.median, 20*time.Millisecond)})

	var relay []time.Duration
	for i := 0; i < 20; i++ {
		d, err := b.relayStart()
		if err != nil {
			return nil, err
		}
		relay = append(relay, d)
	}
	s = summarize(relay)
	rows = append(rows, row{"relay start to first answer (hello)", ms(s.median), ms(s.p99), "-", "-"})

	var ping struct{ PID int }
	if err := b.client.JSON(ctx, "GET", "/v1/ping", nil, &ping); err != nil {
		return nil, err
	}
	rss := rssKiB(ping.PID)
	rows = append(rows, row{"agent RSS after the runs", fmt.Sprintf("%.1f MiB", float64(rss)/1024), "", "-", "-"})

	more, err := b.measureUnderIngest(ctx)
	if err != nil {
		return nil, err
	}
	rows = append(rows, more...)

	return rows, nil
}

func countCookies(body []byte) int {
	var st struct {
		Cookies []json.RawMessage `json:"cookies"`
	}
	if json.Unmarshal(body, &st) != nil {
		return -1
	}
	return len(st.Cookies)
}

// relayStart starts the relay as Chrome would and times its answer to hello.
func (b *bench) relayStart() (time.Duration, error) {
	cmd := exec.Command(b.bin, "chrome-extension://ldpickkggldlkffgckonbokbiinckjpp/")
	cmd.Env = b.env
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer cmd.Wait()
	defer in.Close()
	msg := []byte(`{"id":"e1","type":"hello","version":"bench"}`)
	frame := make([]byte, 4+len(msg))
	binary.NativeEndian.PutUint32(frame, uint32(len(msg)))
	copy(frame[4:], msg)
	in.Write(frame)
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(out, hdr[:]); err != nil {
			return 0, fmt.Errorf("relay: %w", err)
		}
		buf := make([]byte, binary.NativeEndian.Uint32(hdr[:]))
		if _, err := io.ReadFull(out, buf); err != nil {
			return 0, err
		}
		if bytes.Contains(buf, []byte(`"id":"e1"`)) {
			return time.Since(start), nil
		}
	}
}

func rssKiB(pid int) int { return statusKiB(pid, "VmRSS:") }

// statusKiB reads one KiB figure of /proc/PID/status.
func statusKiB(pid int, field string) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field) {
			f := strings.Fields(line)
			if len(f) >= 2 {
				n, _ := strconv.Atoi(f[1])
				return n
			}
		}
	}
	return 0
}
