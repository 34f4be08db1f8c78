package workflows

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Size limits that keep the workflow code readable at once: a newcomer
// reads any file of this package, and any function, in one sitting.
const (
	maxFileLines = 300 // a non-test Go file
	maxFuncLines = 60  // any function, tests included
)

// TestWorkflowCodeStaysReadable fails when a file or a function under
// workflows/ grows past the limits: split it by job before adding to it.
func TestWorkflowCodeStaysReadable(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if n := strings.Count(string(src), "\n"); n > maxFileLines && !strings.HasSuffix(path, "_test.go") {
			t.Errorf("%s has %d lines; split it (at most %d)", path, n, maxFileLines)
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok {
				n := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
				if n > maxFuncLines {
					t.Errorf("%s: func %s has %d lines; split it by job (at most %d)", path, fd.Name.Name, n, maxFuncLines)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
