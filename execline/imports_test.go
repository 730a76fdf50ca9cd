package execline

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/vigil-init/vigil"

// TestImports holds the room to its doc.go: it imports only the standard
// library, x/sys, process and reaper, and only services, client and main
// import it.
func TestImports(t *testing.T) {
	allowedHere := func(path string) bool {
		first, _, _ := strings.Cut(path, "/")
		return !strings.Contains(first, ".") || strings.HasPrefix(path, "golang.org/x/sys/") ||
			path == module+"/process" || path == module+"/reaper"
	}
	importers := map[string]bool{".": true, "services": true, "client": true}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir, _ := filepath.Rel("..", filepath.Dir(path))
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case dir == "execline" && !allowedHere(p):
				t.Errorf("%s imports %s: execline imports only the standard library, x/sys, process and reaper", path, p)
			case p == module+"/execline" && !importers[dir]:
				t.Errorf("%s imports execline: only services, client and main may", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
