package procinfo

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

func describe(pid int) Process {
	dir := "/proc/" + strconv.Itoa(pid)
	var p Process
	if exe, err := os.Readlink(dir + "/exe"); err == nil {
		p.Executable = strings.TrimSuffix(exe, " (deleted)")
	}
	if b, err := os.ReadFile(dir + "/cmdline"); err == nil {
		b = bytes.TrimRight(b, "\x00")
		if len(b) > 0 {
			p.Cmdline = joinArgs(strings.Split(string(b), "\x00"))
		}
	}
	return p
}
