package connector

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// builtinJSON holds the built-in definitions: a list of entries, each a
// definition in the native schema (the format of a user's connector file)
// and notes saying why a field holds what it holds.
//
//go:embed builtin.json
var builtinJSON []byte

// builtinEntry is one entry of builtin.json.
type builtinEntry struct {
	// Notes explain a field's value, by the field's dotted name
	// ("verify.login_patterns"); the host does not read them.
	Notes      map[string]string `json:"notes"`
	Definition jsontext.Value    `json:"definition"`
}

// loadBuiltins parses builtinJSON once, on first use, through the parser of
// native definition files.
var loadBuiltins = sync.OnceValues(func() ([]Definition, error) {
	return parseBuiltins(builtinJSON)
})

// parseBuiltins parses a list of built-in entries, each definition as a
// native file is parsed, and sorts them by id.
func parseBuiltins(data []byte) ([]Definition, error) {
	var entries []builtinEntry
	if err := decode(data, &entries, true, ""); err != nil {
		return nil, fmt.Errorf("built-in definitions: %w", err)
	}
	defs := make([]Definition, 0, len(entries))
	for i, e := range entries {
		d, err := parseKind(e.Definition, KindBuiltin, KindNative, nil)
		if err != nil {
			return nil, fmt.Errorf("built-in definition %d: %w", i, err)
		}
		d.Kind = KindBuiltin
		defs = append(defs, d)
	}
	slices.SortFunc(defs, func(a, b Definition) int { return strings.Compare(a.ID, b.ID) })
	return defs, nil
}

// Builtins returns the definitions compiled into the host, sorted by id: the
// public signals of a few real sites (their session cookies, a page that only
// a signed-in user sees, and the URLs of their sign-in, second-factor and
// checkpoint pages), read from builtin.json on first use. Each call returns
// fresh copies.
//
// Sites change these without notice; a file in $AUTHBRIDGE_HOME/connectors
// with the same id overrides a built-in, and the taxonomy reports
// CONNECTOR_AUTH_SELECTOR_CHANGED when neither the signed-in selector nor a
// pattern recognises a page.
func Builtins() []Definition {
	defs, err := loadBuiltins()
	if err != nil {
		// builtin.json is compiled in and its tests parse it: a failure
		// here is a build that was never tested.
		panic("connector: " + err.Error())
	}
	out := make([]Definition, len(defs))
	for i, d := range defs {
		out[i] = d.clone()
	}
	return out
}
