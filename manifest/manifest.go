// Package manifest builds and validates the native-messaging host manifest
// that tells a Chromium-based browser how to start authbridge, and holds the
// table of where each browser looks for such manifests on each OS.
//
// The manifest format is Chrome's: see
// https://developer.chrome.com/docs/extensions/develop/concepts/native-messaging
// ("Native messaging host" and "Native messaging host location").
package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// HostName is the name the extension passes to chrome.runtime.connectNative.
const HostName = "com.authbridge.host"

// ExtensionID is the stable ID of the authbridge extension (fixed by the
// "key" in its manifest.json).
const ExtensionID = "ldpickkggldlkffgckonbokbiinckjpp"

// StoreExtensionID is the ID the Chrome Web Store gave the published item
// (the store package has no key, so the store picks its ID). A release
// build sets it at link time (make STORE_EXTENSION_ID=...: -X
// github.com/authbridge/authbridge/manifest.StoreExtensionID=ID); empty in
// a development build.
var StoreExtensionID = ""

// DefaultExtensionIDs are the extension IDs every host manifest allows
// without --extension-id: the development ID (the unpacked folder's key)
// and, when the build knows it, the Chrome Web Store item's.
func DefaultExtensionIDs() []string {
	if StoreExtensionID != "" && StoreExtensionID != ExtensionID {
		return []string{ExtensionID, StoreExtensionID}
	}
	return []string{ExtensionID}
}

// Description is the description written into the host manifest.
const Description = "authbridge: live browser cookies for data-export connectors"

// TypeStdio is the only interface type Chrome supports.
const TypeStdio = "stdio"

// ErrInvalid is matched (errors.Is) by every validation error of this package.
var ErrInvalid = errors.New("invalid host manifest")

// FieldError says which field of a manifest is wrong and why.
type FieldError struct {
	Field  string // JSON field name: name, description, path, type, allowed_origins
	Value  string // the offending value, when there is one
	Reason string
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("manifest %s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("manifest %s %q: %s", e.Field, e.Value, e.Reason)
}

// Is makes errors.Is(err, ErrInvalid) true for every FieldError.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// Manifest is a native-messaging host manifest as Chrome reads it.
type Manifest struct {
	Name           string   `json:"name"`
	Description    string   `json:"description"`
	Path           string   `json:"path"`
	Type           string   `json:"type"`
	AllowedOrigins []string `json:"allowed_origins,omitempty"`
	// AllowedExtensions are the gecko ids a Firefox host manifest allows
	// (Firefox reads this field instead of allowed_origins).
	AllowedExtensions []string `json:"allowed_extensions,omitempty"`
}

// New returns the authbridge host manifest for the host binary at binary,
// allowing ExtensionID and every extra extension ID (duplicates dropped,
// order kept). goos is the OS the manifest is for ("linux", "darwin",
// "windows"); it decides what an absolute path is.
func New(goos, binary string, extraIDs ...string) (Manifest, error) {
	m := Manifest{
		Name:        HostName,
		Description: Description,
		Path:        binary,
		Type:        TypeStdio,
	}
	seen := map[string]bool{}
	for _, id := range append(DefaultExtensionIDs(), extraIDs...) {
		o, err := Origin(id)
		if err != nil {
			return Manifest{}, err
		}
		if !seen[o] {
			seen[o] = true
			m.AllowedOrigins = append(m.AllowedOrigins, o)
		}
	}
	if !IsAbs(goos, binary) {
		return Manifest{}, &FieldError{Field: "path", Value: binary, Reason: "must be an absolute path"}
	}
	return m, m.Validate(goos)
}

// Origin returns the allowed_origins entry for an extension ID:
// chrome-extension://<id>/ with the trailing slash Chrome requires.
func Origin(id string) (string, error) {
	if err := ValidateExtensionID(id); err != nil {
		return "", err
	}
	return "chrome-extension://" + id + "/", nil
}

// ValidateExtensionID checks that id is a Chrome extension ID: exactly 32
// characters from a to p.
func ValidateExtensionID(id string) error {
	if len(id) != 32 {
		return &FieldError{Field: "allowed_origins", Value: id, Reason: "extension ID must be 32 characters a-p"}
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 'a' || id[i] > 'p' {
			return &FieldError{Field: "allowed_origins", Value: id, Reason: "extension ID must be 32 characters a-p"}
		}
	}
	return nil
}

// ValidateName checks Chrome's host name rules: lowercase alphanumerics,
// '_' and '.', not starting or ending with '.', and no ".." .
func ValidateName(name string) error {
	bad := func(reason string) error { return &FieldError{Field: "name", Value: name, Reason: reason} }
	if name == "" {
		return bad("is empty")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return bad("may only contain lowercase letters, digits, '_' and '.'")
		}
	}
	if name[0] == '.' || name[len(name)-1] == '.' {
		return bad("must not start or end with '.'")
	}
	if strings.Contains(name, "..") {
		return bad("must not contain '..'")
	}
	return nil
}

// ValidateOrigin checks one allowed_origins entry: chrome-extension://<id>/
// exactly, with no wildcard and the trailing slash.
func ValidateOrigin(origin string) error {
	const prefix = "chrome-extension://"
	if !strings.HasPrefix(origin, prefix) || !strings.HasSuffix(origin, "/") {
		return &FieldError{Field: "allowed_origins", Value: origin, Reason: "must be chrome-extension://<id>/ with the trailing slash"}
	}
	id := strings.TrimSuffix(strings.TrimPrefix(origin, prefix), "/")
	if strings.Contains(id, "*") {
		return &FieldError{Field: "allowed_origins", Value: origin, Reason: "wildcards are not allowed"}
	}
	if err := ValidateExtensionID(id); err != nil {
		return &FieldError{Field: "allowed_origins", Value: origin, Reason: "extension ID must be 32 characters a-p"}
	}
	return nil
}

// Validate checks every field. On Linux and macOS path must be absolute; on
// Windows Chrome also accepts a path relative to the manifest's directory.
func (m Manifest) Validate(goos string) error {
	if err := ValidateName(m.Name); err != nil {
		return err
	}
	if strings.TrimSpace(m.Description) == "" {
		return &FieldError{Field: "description", Reason: "is empty"}
	}
	if m.Path == "" {
		return &FieldError{Field: "path", Reason: "is empty"}
	}
	if goos != "windows" && !IsAbs(goos, m.Path) {
		return &FieldError{Field: "path", Value: m.Path, Reason: "must be absolute on " + goos}
	}
	if m.Type != TypeStdio {
		return &FieldError{Field: "type", Value: m.Type, Reason: `must be "stdio"`}
	}
	if len(m.AllowedExtensions) > 0 && len(m.AllowedOrigins) == 0 {
		for _, id := range m.AllowedExtensions {
			if err := ValidateGeckoID(id); err != nil {
				return err
			}
		}
		return nil
	}
	if len(m.AllowedOrigins) == 0 {
		return &FieldError{Field: "allowed_origins", Reason: "is empty"}
	}
	for _, o := range m.AllowedOrigins {
		if err := ValidateOrigin(o); err != nil {
			return err
		}
	}
	return nil
}

// Allows reports whether allowed_origins contains the extension id.
func (m Manifest) Allows(id string) bool {
	want := "chrome-extension://" + id + "/"
	for _, o := range m.AllowedOrigins {
		if o == want {
			return true
		}
	}
	return false
}

// Marshal returns the manifest as indented JSON with a final newline. The
// output is deterministic, so comparing bytes tells whether a file on disk is
// already up to date.
func (m Manifest) Marshal() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		// Only strings and a string slice: encoding cannot fail.
		panic(err)
	}
	return buf.Bytes()
}

// Parse decodes a manifest file. It does not validate it: call Validate.
func Parse(data []byte) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return Manifest{}, fmt.Errorf("parse host manifest: %w", err)
	}
	return m, nil
}

// FileName is the file name of a host manifest: <name>.json.
func FileName(name string) string { return name + ".json" }

// IsAbs reports whether p is absolute on goos, whatever OS runs this code:
// "/..." on Linux and macOS; "C:\..." or "\\server\share" on Windows.
func IsAbs(goos, p string) bool {
	if goos != "windows" {
		return strings.HasPrefix(p, "/")
	}
	if strings.HasPrefix(p, `\\`) || strings.HasPrefix(p, "//") {
		return true
	}
	return len(p) >= 3 && (p[0] >= 'a' && p[0] <= 'z' || p[0] >= 'A' && p[0] <= 'Z') &&
		p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}
