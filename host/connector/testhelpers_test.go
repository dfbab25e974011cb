package connector

import (
	"errors"
	"fmt"
	"path/filepath"
)

// Helpers that only the tests use.

// ErrDuplicate is returned by Set.Add for an id the set already holds from a
// source of the same precedence.
var ErrDuplicate = errors.New("connector id already defined")

// ParseFile reads one definition file, native or manifest, and validates it.
// Manifests inherit from the built-in definitions (see the package
// documentation). The definition's Source is the file's absolute path. Errors
// are *FileError.
func ParseFile(path string) (Definition, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Definition{}, &FileError{Path: path, Err: err}
	}
	data, err := readFile(abs)
	if err != nil {
		return Definition{}, err
	}
	return Parse(data, abs)
}

// Parse is ParseFile for data already read; source names the file in errors
// and becomes the definition's Source.
func Parse(data []byte, source string) (Definition, error) {
	kind, err := detect(data)
	if err != nil {
		return Definition{}, &FileError{Path: source, Err: err}
	}
	return parseKind(data, source, kind, Builtins())
}

// Load returns the built-in definitions overridden and completed by every
// *.json file in dir and then in each of extraDirs (see the package
// documentation for the order and the rules). dir is normally
// $AUTHBRIDGE_HOME/connectors. A directory that does not exist is skipped;
// a file that is refused is listed in Problems and the others still load.
// The error is non-nil only when a directory exists but cannot be listed; the
// set is usable (and never nil) even then, and lists that error in Problems
// too. All the directories have the same precedence: two files of one id
// are a problem.
func Load(dir string, extraDirs ...string) (*Set, error) {
	places := []Place{{Dir: dir}}
	for _, d := range extraDirs {
		places = append(places, Place{Dir: d})
	}
	return loadPlaces(places, false)
}

// Add validates d and adds it to the set. A definition with no Kind is a
// built-in one (Kind KindBuiltin, Source "builtin"): this is how packages
// such as the demo site register theirs. Files take precedence over
// built-ins whatever the order: adding a built-in whose id a file already
// defines keeps the file's definition and returns nil, and adding a file's
// definition over a built-in replaces it. Two definitions of the same id and
// precedence are refused with ErrDuplicate.
func (s *Set) Add(d Definition) error {
	d = d.clone()
	if d.Kind == "" {
		d.Kind = KindBuiltin
	}
	if d.Source == "" && d.Kind == KindBuiltin {
		d.Source = KindBuiltin
	}
	if err := Validate(d); err != nil {
		return fmt.Errorf("connector %q: %w", d.ID, err)
	}
	normalize(&d)
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, ok := s.defs[d.ID]
	if ok {
		prevFile, newFile := prev.Kind != KindBuiltin, d.Kind != KindBuiltin
		switch {
		case prevFile && !newFile:
			return nil
		case prevFile == newFile:
			return fmt.Errorf("connector %q from %s: %w by %s", d.ID, d.Source, ErrDuplicate, prev.Source)
		}
	}
	s.defs[d.ID] = d
	return nil
}
