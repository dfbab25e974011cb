package connector

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// ErrDuplicate is returned by Set.Add for an id the set already holds from a
// source of the same precedence.
var ErrDuplicate = errors.New("connector id already defined")

// Set is the registry of loaded connector definitions, by id, with the
// problems met while loading them. It is safe for concurrent use.
type Set struct {
	mu       sync.RWMutex
	defs     map[string]Definition
	problems []error
}

// NewSet returns a set holding the built-in definitions.
func NewSet() *Set {
	s := &Set{defs: make(map[string]Definition)}
	for _, d := range Builtins() {
		s.defs[d.ID] = d
	}
	return s
}

// Load returns the built-in definitions overridden and completed by every
// *.json file in dir and then in each of extraDirs (see the package
// documentation for the order and the rules). dir is normally
// $AUTHBRIDGE_HOME/connectors. A directory that does not exist is skipped;
// a file that is refused is listed in Problems and the others still load.
// The error is non-nil only when a directory exists but cannot be listed; the
// set is usable (and never nil) even then, and lists that error in Problems
// too.
func Load(dir string, extraDirs ...string) (*Set, error) {
	s := NewSet()
	var (
		paths []string
		errs  []error
	)
	for _, d := range append([]string{dir}, extraDirs...) {
		if d == "" {
			continue
		}
		ps, err := jsonFiles(d)
		if err != nil {
			errs = append(errs, err)
			s.problems = append(s.problems, err)
			continue
		}
		paths = append(paths, ps...)
	}
	s.loadFiles(paths)
	return s, errors.Join(errs...)
}

// jsonFiles lists the absolute paths of the *.json files of dir, by name,
// leaving out dot files and directories.
func jsonFiles(dir string) ([]string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("connector directory %q: %w", dir, err)
	}
	entries, err := os.ReadDir(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read connector directory %q: %w", abs, err)
	}
	var paths []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		paths = append(paths, filepath.Join(abs, name))
	}
	return paths, nil
}

type rawFile struct {
	path string
	data []byte
}

// loadFiles reads native files first, then manifests, so that manifests
// inherit from native files that redefine a built-in.
func (s *Set) loadFiles(paths []string) {
	var natives, manifests []rawFile
	for _, p := range paths {
		data, err := readFile(p)
		if err != nil {
			s.problem(err)
			continue
		}
		kind, err := detect(data)
		if err != nil {
			s.problem(&FileError{Path: p, Err: err})
			continue
		}
		if kind == KindNative {
			natives = append(natives, rawFile{p, data})
		} else {
			manifests = append(manifests, rawFile{p, data})
		}
	}
	fromFile := make(map[string]string) // id -> path
	add := func(f rawFile, kind string, bases []Definition) {
		d, err := parseKind(f.data, f.path, kind, bases)
		if err != nil {
			s.problem(err)
			return
		}
		if prev, ok := fromFile[d.ID]; ok {
			field := "id"
			if kind == KindDataConnectors {
				field = "connector_id"
			}
			s.problem(&FileError{Path: f.path, Err: fieldErr(field, "%q is already defined by %s", d.ID, prev)})
			return
		}
		fromFile[d.ID] = f.path
		s.mu.Lock()
		s.defs[d.ID] = d
		s.mu.Unlock()
	}
	for _, f := range natives {
		add(f, KindNative, nil)
	}
	bases := s.bases()
	for _, f := range manifests {
		add(f, KindDataConnectors, bases)
	}
}

func (s *Set) problem(err error) {
	s.mu.Lock()
	s.problems = append(s.problems, err)
	s.mu.Unlock()
}

// bases are the definitions manifests may inherit from: built-in ones and
// native files, by id.
func (s *Set) bases() []Definition {
	var out []Definition
	for _, d := range s.All() {
		if d.Kind == KindBuiltin || d.Kind == KindNative {
			out = append(out, d)
		}
	}
	return out
}

// Get returns the definition with the given id.
func (s *Set) Get(id string) (Definition, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.defs[id]
	if !ok {
		return Definition{}, false
	}
	return d.clone(), true
}

// All returns every definition, sorted by id.
func (s *Set) All() []Definition {
	s.mu.RLock()
	out := make([]Definition, 0, len(s.defs))
	for _, d := range s.defs {
		out = append(out, d.clone())
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Definition) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Problems returns the files refused while loading, as *FileError, and the
// directories that could not be listed, in the order met.
func (s *Set) Problems() []error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.problems)
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

// clone returns a copy of d that shares no slice or pointer with it.
func (d Definition) clone() Definition {
	d.Domains = slices.Clone(d.Domains)
	d.AuthCookies = slices.Clone(d.AuthCookies)
	d.Verify.LoginPatterns = slices.Clone(d.Verify.LoginPatterns)
	d.Verify.MFAPatterns = slices.Clone(d.Verify.MFAPatterns)
	d.Verify.CheckpointPatterns = slices.Clone(d.Verify.CheckpointPatterns)
	if d.Session != nil {
		s := *d.Session
		d.Session = &s
	}
	return d
}
