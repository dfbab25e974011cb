// Package paths decides where authbridge keeps its state: the home directory
// (AUTHBRIDGE_HOME or the OS convention), the state database, logs, connector
// definitions, and a short user-only runtime directory for the sockets.
package paths

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// maxSocketPath keeps socket paths under the smallest sun_path limit
// (104 bytes on macOS, 108 on Linux), leaving room for the terminating NUL.
const maxSocketPath = 100

// Paths are the locations one authbridge user's processes share.
type Paths struct {
	Home string // everything lives under here
	// HomeExplicit is true when Home came from AUTHBRIDGE_HOME; otherwise it
	// (and the runtime directory) follow the OS convention.
	HomeExplicit  bool
	StateDB       string // SQLite state database
	EventsDB      string // SQLite database of the dogfood events
	LogDir        string
	ConnectorsDir string // connector definition files
	SessionsDir   string // connector state files the host manages
	ConfigFile    string // extension IDs and other settings written by install
	RuntimeDir    string // user-only directory for sockets and the lock
	APISocket     string // local API (HTTP over a Unix socket; a named pipe on Windows)
	BridgeSocket  string // relays connect here (a named pipe on Windows)
	LockFile      string // held by the running agent
	StartLock     string // serialises on-demand starts
	// AppHomes are the data-export app's homes, each holding connectors/
	// (manifests in company subfolders) and browser-profiles/: the
	// AUTHBRIDGE_APP_HOMES list in its order, then ~/.vana/desktop (the
	// rebranded desktop app), ~/.pdp-connect/desktop, ~/.pdp-connect and
	// ~/.dataconnect. Earlier homes take precedence.
	AppHomes []string
}

// Env looks up an environment variable; os.Getenv in production.
type Env func(string) string

// WithHome returns getenv with AUTHBRIDGE_HOME set to home, as a demo,
// a bench or a test isolates itself; a nil getenv answers "" for every
// other variable.
func WithHome(home string, getenv Env) Env {
	return func(k string) string {
		if k == "AUTHBRIDGE_HOME" {
			return home
		}
		if getenv == nil {
			return ""
		}
		return getenv(k)
	}
}

// Resolve computes the paths from the environment. It creates nothing.
func Resolve(getenv Env) (Paths, error) {
	return resolve(getenv, platform{goos: runtime.GOOS, uid: os.Getuid()})
}

// platform is what the paths depend on besides the environment: the
// operating system (runtime.GOOS) and the user's id. Tests resolve the
// shared table's Linux and macOS cases on any Unix through it.
type platform struct {
	goos string
	uid  int
}

func resolve(getenv Env, pf platform) (Paths, error) {
	home := getenv("AUTHBRIDGE_HOME")
	explicit := home != ""
	if !explicit {
		var err error
		home, err = defaultHome(getenv, pf.goos)
		if err != nil {
			return Paths{}, err
		}
	}
	home, err := filepath.Abs(home)
	if err != nil {
		return Paths{}, fmt.Errorf("resolve AUTHBRIDGE_HOME: %w", err)
	}
	p := Paths{
		Home:          home,
		HomeExplicit:  explicit,
		StateDB:       filepath.Join(home, "state.db"),
		EventsDB:      filepath.Join(home, "events.db"),
		LogDir:        filepath.Join(home, "logs"),
		ConnectorsDir: filepath.Join(home, "connectors"),
		SessionsDir:   filepath.Join(home, "sessions"),
		ConfigFile:    filepath.Join(home, "config.json"),
	}
	p.RuntimeDir = runtimeDir(home, explicit, getenv, pf)
	p.APISocket = filepath.Join(p.RuntimeDir, "api.sock")
	p.BridgeSocket = filepath.Join(p.RuntimeDir, "bridge.sock")
	if pf.goos == "windows" {
		p.APISocket = PipeName(home, "api")
		p.BridgeSocket = PipeName(home, "bridge")
	}
	p.LockFile = filepath.Join(p.RuntimeDir, "agent.lock")
	p.StartLock = filepath.Join(p.RuntimeDir, "start.lock")
	p.AppHomes = appHomes(getenv, pf.goos)
	return p, nil
}

// appHomes lists the data-export app's homes: AUTHBRIDGE_APP_HOMES (a path
// list, os.PathListSeparator between entries), then the app's defaults under
// the user's home, without duplicates.
func appHomes(getenv Env, goos string) []string {
	var out []string
	add := func(d string) {
		if d == "" {
			return
		}
		abs, err := filepath.Abs(d)
		if err != nil {
			return
		}
		for _, have := range out {
			if have == abs {
				return
			}
		}
		out = append(out, abs)
	}
	for _, d := range filepath.SplitList(getenv("AUTHBRIDGE_APP_HOMES")) {
		add(d)
	}
	home := getenv("HOME")
	if home == "" && goos == "windows" {
		home = getenv("USERPROFILE")
	}
	if home != "" {
		add(filepath.Join(home, ".vana", "desktop"))
		add(filepath.Join(home, ".pdp-connect", "desktop"))
		add(filepath.Join(home, ".pdp-connect"))
		add(filepath.Join(home, ".dataconnect"))
	}
	return out
}

// AppConnectorsDir is the app home's folder of connector manifests.
func AppConnectorsDir(appHome string) string { return filepath.Join(appHome, "connectors") }

// AppProfilesDir is the app home's folder of per-connector browser profiles.
func AppProfilesDir(appHome string) string { return filepath.Join(appHome, "browser-profiles") }

func defaultHome(getenv Env, goos string) (string, error) {
	switch goos {
	case "windows":
		if d := getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, "authbridge"), nil
		}
	case "darwin":
		if h := getenv("HOME"); h != "" {
			return filepath.Join(h, "Library", "Application Support", "authbridge"), nil
		}
	default:
		if d := getenv("XDG_STATE_HOME"); d != "" {
			return filepath.Join(d, "authbridge"), nil
		}
		if h := getenv("HOME"); h != "" {
			return filepath.Join(h, ".local", "state", "authbridge"), nil
		}
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home directory: set AUTHBRIDGE_HOME: %w", err)
	}
	return filepath.Join(h, ".authbridge"), nil
}

// runtimeDir picks a directory for the sockets whose paths stay short.
func runtimeDir(home string, explicit bool, getenv Env, pf platform) string {
	if !explicit && pf.goos == "linux" {
		if x := getenv("XDG_RUNTIME_DIR"); x != "" {
			if d := filepath.Join(x, "authbridge"); fits(d) {
				return d
			}
		}
	}
	if d := filepath.Join(home, "run"); fits(d) {
		return d
	}
	// A deep home: use a short per-user, per-home directory in the system
	// temporary directory. EnsureRuntimeDir checks its owner and mode.
	sum := sha256.Sum256([]byte(home))
	tmp := "/tmp"
	if pf.goos == "windows" {
		tmp = os.TempDir()
	}
	return filepath.Join(tmp, fmt.Sprintf("authbridge-%d-%s", pf.uid, hex.EncodeToString(sum[:6])))
}

// PipeName is the Windows named pipe that stands in for the kind ("api" or
// "bridge") socket of the agent whose home is home (an absolute path):
// \\.\pipe\authbridge-<h>-<kind>, h the first 16 hex digits of the SHA-256
// of home's UTF-8 bytes. Each home (and so each user, whose default home is
// their own) has its own pipes; the pipes' DACL admits the current user only.
// The Node client (clients/node/lib/paths.js) computes the same name; both
// are tested against testdata/sockets.json.
func PipeName(home, kind string) string {
	sum := sha256.Sum256([]byte(home))
	return `\\.\pipe\authbridge-` + hex.EncodeToString(sum[:8]) + "-" + kind
}

func fits(dir string) bool {
	return len(filepath.Join(dir, "bridge.sock")) <= maxSocketPath
}

// ErrUnsafeDir is returned when a directory that must be user-only is not.
var ErrUnsafeDir = errors.New("directory is not private to this user")

// EnsureDirs creates the home layout (0700) and the runtime directory, and
// checks that the runtime directory belongs to this user and is 0700.
func (p Paths) EnsureDirs() error {
	for _, d := range []string{p.Home, p.LogDir, p.ConnectorsDir, p.SessionsDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	return EnsurePrivateDir(p.RuntimeDir)
}

// EnsurePrivateDir creates dir with mode 0700 if needed, and refuses one that
// is a symlink, is owned by someone else, or is open to others.
func EnsurePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("check %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", ErrUnsafeDir, dir)
	}
	if err := checkOwner(dir, fi); err != nil {
		return err
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("%w: %s has mode %v: %v", ErrUnsafeDir, dir, fi.Mode().Perm(), err)
		}
	}
	return nil
}
