package boot

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/kelseyhightower/envconfig"
)

// knownVariables are the names envconfig reads for spec under prefix.
func knownVariables(t *testing.T, prefix string, spec any) []string {
	t.Helper()
	var out strings.Builder
	if err := envconfig.Usagef(prefix, spec, &out, "{{range .}}{{usage_key .}}\n{{end}}"); err != nil {
		t.Fatal(err)
	}
	return strings.Fields(out.String())
}

// TestReadmeVariables: every VIGIL_ and S6_ variable the configuration
// reads is in a table of the README (as the first cell of a row), and
// every one in those tables is read.
func TestReadmeVariables(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	inReadme := map[string]bool{}
	row := regexp.MustCompile("^\\| ([^|]+)\\|")
	name := regexp.MustCompile("`((?:VIGIL|S6)_[A-Z0-9_]+)`")
	for _, l := range strings.Split(string(b), "\n") {
		if m := row.FindStringSubmatch(l); m != nil {
			for _, n := range name.FindAllStringSubmatch(m[1], -1) {
				inReadme[n[1]] = true
			}
		}
	}
	known := append(knownVariables(t, envPrefix, &Config{}), knownVariables(t, s6Prefix, &s6Config{})...)
	inCode := map[string]bool{}
	for _, n := range known {
		inCode[n] = true
		if !inReadme[n] {
			t.Errorf("%s is read but in no README table", n)
		}
	}
	for n := range inReadme {
		if !inCode[n] {
			t.Errorf("the README's tables name %s, which the configuration does not read", n)
		}
	}
	for n := range s6Ignored {
		if !inCode[n] {
			t.Errorf("s6Ignored names %s, which s6Config does not read", n)
		}
	}
}
