package install

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// manifestMode is the mode of a written manifest: the browser runs as the
// user, and system-wide manifests must be readable by everyone.
const manifestMode fs.FileMode = 0o644

// planWrite says what writing data to path would do, without writing.
func planWrite(path string, data []byte) (Action, error) {
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Installed, nil
	case err != nil:
		return Failed, fmt.Errorf("read %s: %w", path, err)
	case !bytes.Equal(old, data):
		return Updated, nil
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			return Failed, fmt.Errorf("stat %s: %w", path, err)
		}
		if fi.Mode().Perm() != manifestMode {
			return Updated, nil
		}
	}
	return Unchanged, nil
}

// writeFile makes path hold data with mode 0644, creating its directory. A
// file that already holds data is left alone (not even its mtime changes);
// a file with the right content but the wrong mode is only chmodded.
// Otherwise the data goes to a temporary file in the same directory, which is
// synced and renamed over path, so readers see the old or the new file,
// never a partial one.
func writeFile(path string, data []byte) (Action, error) {
	action, err := planWrite(path, data)
	if err != nil || action == Unchanged {
		return action, err
	}
	if action == Updated {
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
			if err := os.Chmod(path, manifestMode); err != nil {
				return Failed, fmt.Errorf("chmod %s: %w", path, err)
			}
			return Updated, nil
		}
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Failed, fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return Failed, fmt.Errorf("create temporary file in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return Failed, fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(manifestMode); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return Failed, fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return Failed, fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return Failed, fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return Failed, fmt.Errorf("rename to %s: %w", path, err)
	}
	syncDir(dir)
	return action, nil
}

// syncDir makes a rename durable; best effort (Windows cannot open directories).
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// pruneEmpty removes dir and then its parents while they are empty, stopping
// before stop (never removed) and before any folder less than keepDepth
// levels below stop (so /etc/opt stays even if empty). It is how uninstall
// takes away the NativeMessagingHosts folders (and browser folders) that
// install created, without touching a folder that holds anything else.
func pruneEmpty(dir, stop string, keepDepth int) {
	dir, stop = filepath.Clean(dir), filepath.Clean(stop)
	for {
		rel, err := filepath.Rel(stop, dir)
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return
		}
		if len(strings.Split(rel, string(filepath.Separator))) <= keepDepth {
			return
		}
		if err := os.Remove(dir); err != nil {
			return // not empty, or not ours to remove
		}
		dir = filepath.Dir(dir)
	}
}
