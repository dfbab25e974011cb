// Command funclen lists the Go functions longer than a bound, outside tests
// and the bench: `go run ./host/internal/funclen [-max 120] [dir]`. A
// function's length is its lines from `func` to the closing brace, as
// go/ast places them. It exits 1 when it lists any.
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	limit := flag.Int("max", 120, "the longest function allowed, in lines")
	flag.Parse()
	root := "."
	if flag.NArg() > 0 {
		root = flag.Arg(0)
	}
	long, err := longFuncs(root, *limit)
	if err != nil {
		fmt.Fprintln(os.Stderr, "funclen:", err)
		os.Exit(2)
	}
	for _, f := range long {
		fmt.Println(f)
	}
	if len(long) > 0 {
		os.Exit(1)
	}
}

// skipped reports whether path is outside the measure: tests, the bench,
// dependencies.
func skipped(path string) bool {
	return strings.HasSuffix(path, "_test.go") ||
		strings.Contains(path, "node_modules") ||
		strings.Contains(path, "authbridge-bench") ||
		strings.Contains(path, "metricsbench")
}

// longFuncs returns "file:line: name: N lines" for every function of the Go
// files under root longer than limit, longest first.
func longFuncs(root string, limit int) ([]string, error) {
	type long struct {
		where string
		n     int
	}
	var found []long
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || skipped(path) {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			start, end := fset.Position(fn.Pos()), fset.Position(fn.End())
			if n := end.Line - start.Line + 1; n > limit {
				name := fn.Name.Name
				if fn.Recv != nil && len(fn.Recv.List) > 0 {
					name = recvName(fn.Recv.List[0].Type) + "." + name
				}
				found = append(found, long{fmt.Sprintf("%s:%d: %s: %d lines", path, start.Line, name, n), n})
			}
		}
		return nil
	})
	sort.Slice(found, func(i, j int) bool { return found[i].n > found[j].n })
	out := make([]string, len(found))
	for i, f := range found {
		out[i] = f.where
	}
	return out, err
}

func recvName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return recvName(t.X)
	case *ast.IndexExpr:
		return recvName(t.X)
	case *ast.IndexListExpr:
		return recvName(t.X)
	case *ast.Ident:
		return t.Name
	}
	return "?"
}
