package install

import "errors"

// ErrUnsupported is returned by the registry on systems that have none.
var ErrUnsupported = errors.New("windows registry not available on this system")

// RegRoot is a registry hive: HKCU for user-level hosts, HKLM for system-wide ones.
type RegRoot string

// Hives used by native messaging.
const (
	HKCU RegRoot = "HKCU"
	HKLM RegRoot = "HKLM"
)

// RegView is a registry view. Chrome searches the 32-bit view of a hive before
// the 64-bit one.
type RegView string

// Views, in the order Chrome searches them, and the process's own view.
const (
	View32     RegView = "32-bit"
	View64     RegView = "64-bit"
	ViewNative RegView = "" // the view of the running process (what install writes)
)

// Registry is the part of the Windows registry install and doctor use. The
// real one is SystemRegistry(); tests use a map.
type Registry interface {
	// Default returns the default value of key in a view; ok is false when
	// the key or its default value does not exist.
	Default(root RegRoot, view RegView, key string) (value string, ok bool, err error)
	// SetDefault creates key (in ViewNative) and sets its default value.
	SetDefault(root RegRoot, key, value string) error
	// DeleteKey deletes key (in ViewNative); a missing key is not an error.
	DeleteKey(root RegRoot, key string) error
	// Integer returns a DWORD/QWORD value, for policies; ok is false when absent.
	Integer(root RegRoot, key, name string) (value uint64, ok bool, err error)
}

// SystemRegistry returns this machine's registry: the real one on Windows,
// one whose every call fails with ErrUnsupported elsewhere.
func SystemRegistry() Registry { return systemRegistry{} }
