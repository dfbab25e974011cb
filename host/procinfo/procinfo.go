// Package procinfo names the process on the other end of the local API
// socket, for the audit of cookie releases: its executable and command
// line, as the OS tells them (Linux /proc/PID/exe and cmdline; macOS the
// kern.procargs2 sysctl, which holds what proc_pidpath answers and the
// arguments; Windows QueryFullProcessImageName). The OS differences are
// hidden behind Describe.
package procinfo

import "strings"

// MaxCmdline is the most of a command line kept, in bytes.
const MaxCmdline = 1024

// Process is what the OS says of a process. Fields the OS does not tell
// (or a process that has already exited) are empty.
type Process struct {
	Executable string
	Cmdline    string
}

// Describe returns what the OS tells of process pid; pid <= 0 gives the
// zero Process.
func Describe(pid int) Process {
	if pid <= 0 {
		return Process{}
	}
	p := describe(pid)
	p.Cmdline = clean(p.Cmdline, MaxCmdline)
	p.Executable = clean(p.Executable, 4096)
	return p
}

// joinArgs joins arguments with spaces, quoting those that hold one.
func joinArgs(args []string) string {
	out := make([]string, 0, len(args))
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"'") {
			a = `"` + strings.ReplaceAll(a, `"`, `\"`) + `"`
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}

// clean drops control characters (a terminal shows the line) and cuts s
// to at most n bytes on a character boundary.
func clean(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			continue
		}
		if b.Len()+len(string(r)) > n {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}
