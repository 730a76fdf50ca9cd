package process

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// file is one entry of a tree written by writeTree.
type file struct {
	content string
	dir     bool   // an (empty) directory
	link    string // a symlink to this target
}

// tree maps relative paths to entries.
type tree map[string]file

// txt is a plain file holding s.
func txt(s string) file { return file{content: s} }

// writeTree writes tr under root, parents first.
func writeTree(t *testing.T, root string, tr tree) {
	t.Helper()
	paths := slices.Sorted(func(yield func(string) bool) {
		for p := range tr {
			if !yield(p) {
				return
			}
		}
	})
	for _, p := range paths {
		f, path := tr[p], filepath.Join(root, p)
		err := os.MkdirAll(filepath.Dir(path), 0o755)
		switch {
		case err != nil:
		case f.dir:
			err = os.MkdirAll(path, 0o755)
		case f.link != "":
			err = os.Symlink(f.link, path)
		default:
			err = os.WriteFile(path, []byte(f.content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
