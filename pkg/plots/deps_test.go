package plots

import (
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestDependsOnNothingOfTheProject keeps plots generic: the experiment's
// figures belong in the packages that know what they show.
func TestDependsOnNothingOfTheProject(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if strings.HasPrefix(strings.Trim(imp.Path.Value, `"`), "github.com/advmlgo/") {
				t.Errorf("%s imports %s", name, imp.Path.Value)
			}
		}
	}
}
