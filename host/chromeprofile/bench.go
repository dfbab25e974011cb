package chromeprofile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/authbridge/authbridge/host/chromeprofile/storetest"
)

// BenchStoreSize is the number of cookies in BenchReadCookieMeta's store.
const BenchStoreSize = 10_000

// BenchStore writes a cookie store of the newest schema with n cookies
// spread over n/10 sites, plus five cookies of demo.test (two of them on
// subdomains), the connector the benchmark reads.
func BenchStore(path string, n int) error {
	now := time.Now()
	cs := make([]storetest.Cookie, 0, n+5)
	for i := range n {
		cs = append(cs, storetest.Cookie{
			HostKey: fmt.Sprintf(".site%04d.example", i/10), Name: fmt.Sprintf("c%d", i%10), Path: "/",
			Created: now, Expires: now.Add(24 * time.Hour), Updated: now, Secure: true, SameSite: 1,
		})
	}
	for i, h := range []string{"demo.test", ".demo.test", "www.demo.test", ".api.demo.test", "demo.test"} {
		cs = append(cs, storetest.Cookie{HostKey: h, Name: fmt.Sprintf("sid%d", i), Path: "/", Created: now,
			Expires: now.Add(time.Hour), Updated: now, SameSite: -1})
	}
	return storetest.Create(path, 24, cs)
}

// BenchReadCookieMeta measures ReadCookieMeta reading one connector's
// cookies (demo.test) from a 10,000-cookie store, and writes the median and
// 99th percentile of iterations runs to out (the target is under 5 ms).
func BenchReadCookieMeta(out io.Writer, iterations int) error {
	if iterations <= 0 {
		iterations = 200
	}
	dir, err := os.MkdirTemp("", "authbridge-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store := filepath.Join(dir, "Cookies")
	if err := BenchStore(store, BenchStoreSize); err != nil {
		return err
	}
	times := make([]time.Duration, 0, iterations)
	for range iterations {
		start := time.Now()
		cs, err := ReadCookieMeta(store, []string{"demo.test"})
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
		BenchStoreSize, fi.Size()/1024, iterations, median.Round(time.Microsecond), p99.Round(time.Microsecond), verdict)
	return err
}
