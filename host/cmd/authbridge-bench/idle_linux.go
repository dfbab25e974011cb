package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// browserIdle waits, up to limit, until the process tree under pid (a
// browser and its helpers) used at most 20 ms of CPU over a 200 ms window,
// and returns how long it waited and whether it got there. A point timed
// while a browser just started still finishes its own start measures that
// start, not the API (on 2 cores its CPU is what the callers queue for).
func browserIdle(pid int, limit time.Duration) (time.Duration, bool) {
	if pid <= 0 {
		// No browser process known: pid 0's tree would be the whole machine.
		return 0, false
	}
	const window, budget = 200 * time.Millisecond, 2 // clock ticks of 10 ms
	start := time.Now()
	prev := treeTicks(pid)
	for time.Since(start) < limit {
		time.Sleep(window)
		now := treeTicks(pid)
		if now-prev <= budget {
			return time.Since(start), true
		}
		prev = now
	}
	return time.Since(start), false
}

// treeTicks is the user and system CPU time, in clock ticks, of pid and
// every process under it, read from /proc.
func treeTicks(pid int) int64 {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	children := map[int][]int{}
	ticks := map[int]int64{}
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the process ended
		}
		// The command name is in parentheses and may hold spaces.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) < 13 {
			continue
		}
		p, _ := strconv.Atoi(strings.Fields(s[:i])[0])
		ppid, _ := strconv.Atoi(fields[1])
		ut, _ := strconv.ParseInt(fields[11], 10, 64)
		st, _ := strconv.ParseInt(fields[12], 10, 64)
		children[ppid] = append(children[ppid], p)
		ticks[p] = ut + st
	}
	var sum int64
	for queue := []int{pid}; len(queue) > 0; queue = queue[1:] {
		sum += ticks[queue[0]]
		queue = append(queue, children[queue[0]]...)
	}
	return sum
}
