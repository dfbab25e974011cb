package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/authbridge/authbridge/host/chromeprofile"
	"github.com/authbridge/authbridge/host/internal/storetest"
)

// benchStoreSize is the number of cookies in BenchReadCookieMeta's store.
const benchStoreSize = 10_000

// benchReadCookieMeta measures chromeprofile.ReadCookieMeta reading one connector's
// cookies (demo.test) from a 10,000-cookie store, and writes the median and
// 99th percentile of iterations runs to out (the target is under 5 ms).
func benchReadCookieMeta(out io.Writer, iterations int) error {
	if iterations <= 0 {
		iterations = 200
	}
	dir, err := os.MkdirTemp("", "authbridge-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store := filepath.Join(dir, "Cookies")
	if err := storetest.CreateMany(store, benchStoreSize); err != nil {
		return err
	}
	times := make([]time.Duration, 0, iterations)
	for range iterations {
		start := time.Now()
		cs, err := chromeprofile.ReadCookieMeta(store, []string{"demo.test"})
		if err != nil {
			return err
		}
		times = append(times, time.Since(start))
		if len(cs) != 5 {
			return fmt.Errorf("read %d cookies of demo.test, want 5", len(cs))
		}
	}
	slices.Sort(times)
	median := times[len(times)/2]
	p99 := times[min(len(times)-1, len(times)*99/100)]
	fi, _ := os.Stat(store)
	verdict := "ok"
	if median >= 5*time.Millisecond {
		verdict = "OVER TARGET"
	}
	_, err = fmt.Fprintf(out, "cookie store metadata read (1 connector of %d cookies, %d KiB, %d runs): median %v, p99 %v (target < 5ms: %s)\n",
		benchStoreSize, fi.Size()/1024, iterations, median.Round(time.Microsecond), p99.Round(time.Microsecond), verdict)
	return err
}
