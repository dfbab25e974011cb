package procinfo

import (
	"bytes"
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// describe reads kern.procargs2: argc (int32), the executable's path (what
// proc_pidpath answers), NUL padding, then argc arguments.
func describe(pid int) Process {
	b, err := unix.SysctlRaw("kern.procargs2", pid)
	if err != nil || len(b) < 4 {
		return Process{}
	}
	argc := int(binary.LittleEndian.Uint32(b))
	rest := b[4:]
	i := bytes.IndexByte(rest, 0)
	if i < 0 {
		return Process{}
	}
	p := Process{Executable: string(rest[:i])}
	rest = bytes.TrimLeft(rest[i:], "\x00")
	var args []string
	for len(args) < argc && len(rest) > 0 {
		j := bytes.IndexByte(rest, 0)
		if j < 0 {
			j = len(rest)
		}
		args = append(args, string(rest[:j]))
		if j == len(rest) {
			break
		}
		rest = rest[j+1:]
	}
	p.Cmdline = joinArgs(args)
	return p
}
