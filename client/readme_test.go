package client

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-init/vigil/execline"
)

// readDoc returns a document of the repository, for the tests that keep
// the reference in step with the code.
func readDoc(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// firstCells are the first cells of the rows of a markdown section's
// tables, the backticks taken off.
func firstCells(section string) []string {
	var cells []string
	for _, l := range strings.Split(section, "\n") {
		if !strings.HasPrefix(l, "| `") {
			continue
		}
		cell := strings.Split(l, "|")[1]
		for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(cell, -1) {
			cells = append(cells, m[1])
		}
	}
	return cells
}

// section is the part of doc under the heading "## name" (up to the next
// "## ").
func section(t *testing.T, doc, name string) string {
	t.Helper()
	i := strings.Index(doc, "\n## "+name+"\n")
	if i < 0 {
		t.Fatalf("no section %q", name)
	}
	rest := doc[i+1:]
	if j := strings.Index(rest[3:], "\n## "); j >= 0 {
		rest = rest[:j+3]
	}
	return rest
}

// TestReadmeCommands: every command of `vigil` is in README "The client"
// (as `vigil NAME` or in a `vigil a|b|c` line), and every one there exists.
func TestReadmeCommands(t *testing.T) {
	client := section(t, readDoc(t, "../README.md"), "The client")
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile("`vigil ([a-z|-]+)[ `]").FindAllStringSubmatch(client, -1) {
		for _, name := range strings.Split(m[1], "|") {
			seen[name] = true
		}
	}
	for name := range commands {
		if !seen[name] {
			t.Errorf("vigil %s is not in README \"The client\"", name)
		}
	}
	for name := range seen {
		if _, ok := commands[name]; !ok && name != "boot" {
			t.Errorf("README \"The client\" names vigil %s, which is no command", name)
		}
	}
}

// TestReadmeHelpers: the helpers table of README "s6-overlay v3 images"
// lists exactly HelperNames, and docs/execline.md's table exactly
// execline.Builtins.
func TestReadmeHelpers(t *testing.T) {
	s6 := section(t, readDoc(t, "../README.md"), "s6-overlay v3 images")
	i := strings.Index(s6, "### Helpers")
	j := strings.Index(s6, "### Variables")
	checkSame(t, "README helpers table", firstCells(s6[i:j]), HelperNames)
	var programs []string
	for _, c := range firstCells(readDoc(t, "../docs/execline.md")) {
		programs = append(programs, c)
	}
	checkSame(t, "docs/execline.md programs table", programs, execline.Builtins)
}

func checkSame(t *testing.T, where string, doc, code []string) {
	t.Helper()
	inDoc := map[string]bool{}
	for _, n := range doc {
		inDoc[n] = true
	}
	inCode := map[string]bool{}
	for _, n := range code {
		inCode[n] = true
		if !inDoc[n] {
			t.Errorf("%s lacks %q", where, n)
		}
	}
	for n := range inDoc {
		if !inCode[n] {
			t.Errorf("%s lists %q, which the code does not know", where, n)
		}
	}
}
