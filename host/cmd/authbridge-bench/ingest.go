package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/authbridge/authbridge/host/safesocket"
)

// ingestEvents is the size of the batch posted while cookies are asked for.
const ingestEvents = 400_000

// measureUnderIngest checks the agent's bounds on bad input and on cookie
// requests during a large event batch, against the running agent:
//   - 1,000,000 invalid lines: the answer's size and time, the agent's peak
//     RSS (measured first, so the large valid batch below does not count);
//   - a 400,000-event batch, and 60 cookie requests sent every 25 ms while
//     it is read and stored: how many answered 200, and the slowest.
func (b *bench) measureUnderIngest(ctx context.Context) ([]row, error) {
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return safesocket.Connect(ctx, b.client.Socket)
	}}}
	defer hc.CloseIdleConnections()
	post := func(body []byte) (int, []byte, time.Duration, error) {
		start := time.Now()
		resp, err := hc.Post("http://authbridge/v1/events", "application/x-ndjson", bytes.NewReader(body))
		if err != nil {
			return 0, nil, 0, err
		}
		defer resp.Body.Close()
		ans, err := io.ReadAll(resp.Body)
		return resp.StatusCode, ans, time.Since(start), err
	}
	var ping struct{ PID int }
	if err := b.client.JSON(ctx, "GET", "/v1/ping", nil, &ping); err != nil {
		return nil, err
	}
	var rows []row

	fmt.Println("Posting 1,000,000 invalid event lines...")
	status, ans, took, err := post(bytes.Repeat([]byte("{}\n"), 1_000_000))
	if err != nil {
		return nil, err
	}
	if status != 400 {
		return nil, fmt.Errorf("1,000,000 invalid lines answered %d, want 400", status)
	}
	peak := hwmKiB(ping.PID)
	fmt.Printf("  400 in %s, %d bytes, agent peak RSS %.1f MiB\n", took.Round(time.Millisecond), len(ans), float64(peak)/1024)
	rows = append(rows,
		row{"1,000,000 invalid lines: answer size", fmt.Sprintf("%d B", len(ans)), "", "<= 1 MB", meets(len(ans) <= 1_000_000)},
		row{"1,000,000 invalid lines: time to the 400", ms(took), "", "< 10 s", verdict(took, 10*time.Second)},
		row{"1,000,000 invalid lines: agent peak RSS", fmt.Sprintf("%.1f MiB", float64(peak)/1024), "", "< 200 MB", meets(peak*1024 < 200_000_000)})

	fmt.Printf("Posting %d events while asking for cookies every 25 ms...\n", ingestEvents)
	var body bytes.Buffer
	t := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	for i := range ingestEvents {
		fmt.Fprintf(&body, `{"type":"run_started","at":"%s","connector_id":"site-%02d","run_id":"site-%02d-%d"}`+"\n",
			t.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), i%20, i%20, 1764590000000+i)
	}
	type result struct {
		status int
		took   time.Duration
		err    error
	}
	batch := make(chan result, 1)
	go func() {
		status, _, took, err := post(body.Bytes())
		batch <- result{status, took, err}
	}()
	var lat []time.Duration
	var failed, during int
	var batchRes *result
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for len(lat) < 60 {
		<-tick.C
		start := time.Now()
		_, _, err := b.client.Do(ctx, "GET", "/v1/connectors/demo/cookies?format=playwright", nil)
		lat = append(lat, time.Since(start))
		if err != nil {
			failed++
			fmt.Println("  cookie request failed:", err)
		}
		select {
		case r := <-batch:
			batchRes = &r
		default:
		}
		if batchRes == nil {
			during++
		}
	}
	if batchRes == nil {
		r := <-batch
		batchRes = &r
	}
	if batchRes.err != nil || batchRes.status != 200 {
		return nil, fmt.Errorf("the %d-event batch answered %d, %v", ingestEvents, batchRes.status, batchRes.err)
	}
	s := summarize(lat)
	worst := lat[len(lat)-1] // summarize sorted them
	fmt.Printf("  batch stored in %s (%.0f events/s through the API); %d of 60 cookie requests sent while it ran, %d failed, slowest %s\n",
		batchRes.took.Round(time.Millisecond), float64(ingestEvents)/batchRes.took.Seconds(), during, failed, ms(worst))
	rows = append(rows,
		row{fmt.Sprintf("cookies during a %d-event batch (%d of 60 in it)", ingestEvents, during), ms(s.median), ms(s.p99), "all 200, max < 500 ms",
			meets(failed == 0 && worst < 500*time.Millisecond) + fmt.Sprintf(" (max %s, %d failed)", ms(worst), failed)},
		row{fmt.Sprintf("metrics ingest through the API, one %d-event batch", ingestEvents), fmt.Sprintf("%.0f ev/s", float64(ingestEvents)/batchRes.took.Seconds()), "", "-", "-"})
	return rows, nil
}

func meets(ok bool) string {
	if ok {
		return "meets"
	}
	return "MISSES"
}

// hwmKiB is a process's peak resident set (VmHWM), in KiB.
func hwmKiB(pid int) int { return statusKiB(pid, "VmHWM:") }
