package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/authbridge/authbridge/host/internal/metricsbench"
)

// measureStore reads one connector's cookie metadata from a 10,000-cookie
// store built with Chrome's schema.
func measureStore(ctx context.Context) ([]row, error) {
	fmt.Println("Reading one connector's cookie metadata from a 10,000-cookie store...")
	var out bytes.Buffer
	if err := benchReadCookieMeta(&out, 200); err != nil {
		return nil, err
	}
	fmt.Print(indent(out.String()))
	med, p99 := grab(out.String(), "median"), grab(out.String(), "p99")
	v := "?"
	if d, err := time.ParseDuration(strings.ReplaceAll(med, " ", "")); err == nil {
		v = verdict(d, 5*time.Millisecond)
	}
	return []row{{"cookie store metadata read (10,000 cookies)", med, p99, "median < 5 ms", v}}, nil
}

func measureMetrics(ctx context.Context) ([]row, error) {
	fmt.Printf("Ingesting %d dogfood events and building the report...\n", *events)
	dir, err := os.MkdirTemp("", "abmetrics")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var out bytes.Buffer
	if err := metricsbench.Bench(ctx, dir, *events, &out); err != nil {
		return nil, err
	}
	fmt.Print(indent(out.String()))
	var rows []row
	if m := regexp.MustCompile(`([0-9]+) events/s`).FindStringSubmatch(out.String()); m != nil {
		n, _ := strconv.Atoi(m[1])
		v := "meets"
		if n <= 50000 {
			v = "MISSES"
		}
		rows = append(rows, row{fmt.Sprintf("metrics ingest, %d events in batches", *events), m[1] + " ev/s", "", "> 50,000 ev/s", v})
	}
	if m := regexp.MustCompile(`report:.*median ([0-9.]+m?s)`).FindStringSubmatch(out.String()); m != nil {
		v := "?"
		if d, err := time.ParseDuration(m[1]); err == nil {
			v = verdict(d, 2*time.Second)
		}
		rows = append(rows, row{fmt.Sprintf("metrics report over %d events", *events), m[1], "", "< 2 s", v})
	}
	return rows, nil
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ") + "\n"
}

// grab finds "name N unit" in a helper's output.
func grab(s, name string) string {
	m := regexp.MustCompile(name + `[^0-9]*([0-9.]+ ?[mµu]?s)`).FindStringSubmatch(s)
	if m == nil {
		return "?"
	}
	return m[1]
}
