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

// Place is one folder definition files are read from. LoadPlaces gives each
// place its own precedence, the first highest.
type Place struct {
	// Dir holds the definition files.
	Dir string
	// Recursive reads the files of Dir's subfolders too (the data-export
	// app keeps one company subfolder per connector), and skips JSON files
	// that are not manifests instead of reading them as native definitions.
	Recursive bool
	// Profiles is the app's browser-profiles folder: a manifest whose
	// profile folder Profiles/<file name without .json> exists gets it as
	// its session.profile_dir unless it names one itself. Empty: none.
	Profiles string

	rank int // lower wins
}

// maxDepth bounds how deep a recursive place is walked.
const maxDepth = 4

// MaxManifests caps the definition files read from one place: the files
// past it (in walk order) are not loaded, and the place names the cap as a
// problem.
const MaxManifests = 1000

// maxFolders caps the folders walked in one recursive place.
const maxFolders = 5000

// readDir lists a folder (a variable for tests that play a refusal).
var readDir = os.ReadDir

// LoadPlaces returns the built-in definitions overridden and completed by
// the definition files of places (see the package documentation for the
// order and the rules). A folder that does not exist is skipped; a file
// that is refused is listed in Problems and the others still load. The
// error is non-nil only when a folder exists but cannot be listed; the set
// is usable (and never nil) even then, and lists that error in Problems
// too. When several places define the same id, the first place's
// definition is kept and lists the files it shadows in Shadows (no problem
// is reported); within one place two files of one id are a problem.
func LoadPlaces(places ...Place) (*Set, error) {
	return loadPlaces(places, true)
}

func loadPlaces(places []Place, ranked bool) (*Set, error) {
	s := NewSet()
	var (
		files []rawFile
		errs  []error
	)
	for i, p := range places {
		if p.Dir == "" {
			continue
		}
		if ranked {
			p.rank = i
		}
		ps, folderProblems, err := jsonFiles(p.Dir, p.Recursive)
		if err != nil {
			errs = append(errs, err)
			s.problems = append(s.problems, err)
			continue
		}
		s.problems = append(s.problems, folderProblems...)
		if len(ps) > MaxManifests {
			s.problems = append(s.problems, &FileError{Path: p.Dir, Err: fmt.Errorf("holds %d definition files, more than the %d read from one folder: the first %d (by folder and name) are loaded, the others are not", len(ps), MaxManifests, MaxManifests)})
			ps = ps[:MaxManifests]
		}
		for _, path := range ps {
			files = append(files, rawFile{path: path, place: p})
		}
	}
	s.loadFiles(files)
	return s, errors.Join(errs...)
}

// jsonFiles lists the absolute paths of the *.json files of dir, by name,
// leaving out dot files; with recursive, the files of its subfolders (dot
// folders and symbolic links to folders excepted, at most maxDepth deep)
// follow, each folder's files by name.
//
// The folder itself may be a symbolic link when it resolves inside its
// parent (the home it belongs to) or the user's home folder; one out of
// them, or a link loop, is a problem naming it and nothing is read. A
// subfolder that cannot be read is a problem naming it (as
// folderProblems); the others are still read.
func jsonFiles(dir string, recursive bool) (paths []string, folderProblems []error, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("connector directory %q: %w", dir, err)
	}
	if fi, err := os.Lstat(abs); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return nil, []error{&FileError{Path: abs, Err: fmt.Errorf("is a symbolic link that does not resolve (%v): not read", errors.Unwrap(err))}}, nil
		}
		if !insideHome(abs, real) {
			return nil, []error{&FileError{Path: abs, Err: fmt.Errorf("is a symbolic link to %s, outside its home: not followed", real)}}, nil
		}
	}
	w := &walker{recursive: recursive}
	ps, err := w.walk(abs, 0)
	return ps, w.problems, err
}

// insideHome reports whether real (where the link at link resolves) lies
// inside link's parent folder or the user's home folder.
func insideHome(link, real string) bool {
	homes := []string{filepath.Dir(link)}
	if h, err := os.UserHomeDir(); err == nil && h != "" && filepath.Dir(h) != h {
		homes = append(homes, h)
	}
	for _, h := range homes {
		if r, err := filepath.EvalSymlinks(h); err == nil {
			h = r
		}
		if rel, err := filepath.Rel(h, real); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// walker lists the definition files of one place.
type walker struct {
	recursive bool
	folders   int
	problems  []error
}

func (w *walker) walk(abs string, depth int) ([]string, error) {
	w.folders++
	entries, err := readDir(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		if depth > 0 {
			w.problems = append(w.problems, &FileError{Path: abs, Err: fmt.Errorf("cannot be read (%v): the definitions in it are not loaded", errors.Unwrap(err))})
			return nil, nil
		}
		return nil, fmt.Errorf("read connector directory %q: %w", abs, err)
	}
	recursive := w.recursive
	var paths, subdirs []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		if e.IsDir() {
			if recursive && depth < maxDepth {
				subdirs = append(subdirs, filepath.Join(abs, name))
			}
			continue
		}
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		paths = append(paths, filepath.Join(abs, name))
	}
	for _, sub := range subdirs {
		if w.folders >= maxFolders {
			w.problems = append(w.problems, &FileError{Path: sub, Err: fmt.Errorf("not read: more than %d folders in one place", maxFolders)})
			break
		}
		ps, err := w.walk(sub, depth+1)
		if err != nil {
			return nil, err
		}
		paths = append(paths, ps...)
	}
	return paths, nil
}

// SubFolders lists dir and its subfolders as a recursive Place walks them,
// for watching: dot folders and symbolic links are left out. A dir that does
// not exist gives nothing.
func SubFolders(dir string) []string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	if fi, err := os.Lstat(abs); err != nil || !fi.IsDir() {
		return nil
	}
	out := []string{abs}
	var walk func(string, int)
	walk = func(d string, depth int) {
		if depth >= maxDepth {
			return
		}
		entries, err := os.ReadDir(d)
		if err != nil {
			return
		}
		for _, e := range entries {
			if len(out) >= maxFolders {
				return
			}
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				sub := filepath.Join(d, e.Name())
				out = append(out, sub)
				walk(sub, depth+1)
			}
		}
	}
	walk(abs, 0)
	return out
}

type rawFile struct {
	path  string
	data  []byte
	place Place
}

// loadFiles reads native files first, then manifests, so that manifests
// inherit from native files that redefine a built-in.
func (s *Set) loadFiles(files []rawFile) {
	var natives, manifests []rawFile
	for _, f := range files {
		data, err := readFile(f.path)
		if err != nil {
			s.problem(err)
			continue
		}
		kind, err := detect(data)
		if err != nil {
			s.problem(&FileError{Path: f.path, Err: err})
			continue
		}
		f.data = data
		switch {
		case kind == KindNative && f.place.Recursive:
			// The app's folders hold other JSON files too: only its
			// manifests are definitions.
		case kind == KindNative:
			natives = append(natives, f)
		default:
			manifests = append(manifests, f)
		}
	}
	type origin struct {
		path string
		rank int
	}
	fromFile := make(map[string]origin) // id -> where it was defined
	add := func(f rawFile, kind string, bases []Definition) {
		d, err := parseKind(f.data, f.path, kind, bases)
		if err != nil {
			s.problem(err)
			return
		}
		if kind == KindDataConnectors {
			appProfile(&d, f)
		}
		if prev, ok := fromFile[d.ID]; ok {
			switch {
			case prev.rank == f.place.rank:
				field := "id"
				if kind == KindDataConnectors {
					field = "connector_id"
				}
				s.problem(&FileError{Path: f.path, Err: fieldErr(field, "%q is already defined by %s", d.ID, prev.path)})
				return
			case prev.rank < f.place.rank:
				s.mu.Lock()
				kept := s.defs[d.ID]
				kept.Shadows = append(kept.Shadows, f.path)
				s.defs[d.ID] = kept
				s.mu.Unlock()
				return
			default:
				s.mu.Lock()
				old := s.defs[d.ID]
				d.Shadows = append(append(d.Shadows, old.Source), old.Shadows...)
				s.mu.Unlock()
			}
		}
		fromFile[d.ID] = origin{f.path, f.place.rank}
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
	s.mu.Lock()
	for id, d := range s.defs {
		slices.Sort(d.Shadows)
		s.defs[id] = d
	}
	s.mu.Unlock()
}

// appProfile makes the app's profile folder for a manifest its session
// profile, when the folder exists and the manifest names no profile itself.
func appProfile(d *Definition, f rawFile) {
	if f.place.Profiles == "" || (d.Session != nil && d.Session.ProfileDir != "") {
		return
	}
	dir, err := filepath.Abs(filepath.Join(f.place.Profiles, strings.TrimSuffix(filepath.Base(f.path), ".json")))
	if err != nil {
		return
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return
	}
	if d.Session == nil {
		d.Session = &Session{}
	}
	d.Session.ProfileDir = dir
	d.ProfileFromApp = true
}

func (s *Set) problem(err error) {
	s.mu.Lock()
	s.problems = append(s.problems, err)
	s.mu.Unlock()
}

// bases are the definitions manifests may inherit from: the built-in ones,
// each as a native file of the same id overrides it. An override never
// widens what a manifest gets: its domains are cut down to those inside
// the built-in's own, so a file can narrow a built-in's domains for
// inheritance but never add one. Native files of any other id are never
// bases.
func (s *Set) bases() []Definition {
	var out []Definition
	for _, b := range Builtins() {
		d, ok := s.Get(b.ID)
		if !ok || d.Kind == KindBuiltin {
			out = append(out, b)
			continue
		}
		if d.Kind != KindNative {
			continue
		}
		var kept []string
		for _, dom := range d.Domains {
			if b.Covers(dom) {
				kept = append(kept, dom)
			}
		}
		if len(kept) == 0 {
			continue
		}
		d.Domains = kept
		out = append(out, d)
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

// clone returns a copy of d that shares no slice or pointer with it.
func (d Definition) clone() Definition {
	d.Domains = slices.Clone(d.Domains)
	d.AuthCookies = slices.Clone(d.AuthCookies)
	d.SignInDomains = slices.Clone(d.SignInDomains)
	d.Verify.LoginPatterns = slices.Clone(d.Verify.LoginPatterns)
	d.Verify.MFAPatterns = slices.Clone(d.Verify.MFAPatterns)
	d.Verify.CheckpointPatterns = slices.Clone(d.Verify.CheckpointPatterns)
	d.Shadows = slices.Clone(d.Shadows)
	if d.Session != nil {
		s := *d.Session
		d.Session = &s
	}
	return d
}
