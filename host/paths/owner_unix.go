//go:build !windows

package paths

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

func checkOwner(dir string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if int(st.Uid) != os.Getuid() {
		return fmt.Errorf("%w: %s is owned by uid %d", ErrUnsafeDir, dir, st.Uid)
	}
	return nil
}
