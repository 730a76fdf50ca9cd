package services

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vigil-init/vigil/execline"
)

// s6-rc sources (README "s6-overlay v3 images"): each directory of a
// source dir is a longrun, a oneshot or a bundle, as s6-rc-compile reads
// them. vigil does not compile them: it reads them into definitions and
// bundles of the one graph it runs.

// source is one s6-rc source directory, read.
type source struct {
	name        string
	typ         string      // longrun, oneshot or bundle
	def         *Definition // longrun or oneshot
	contents    []string    // a bundle's members
	producerFor string
	consumerFor []string
	pipeline    string // pipeline-name: a bundle of the whole pipeline
}

// The names of s6-overlay's own sources, which vigil provides itself
// (README "s6-overlay v3 images"): an image cannot define them, and the
// copies of them in s6-overlay's package directory are not read.
var builtinSources = []string{"base", "fix-attrs", "legacy-cont-init", "legacy-services", "top"}

// userBundles are the bundles an image fills and vigil starts at boot.
var userBundles = []string{"user", "user2"}

// loadSources reads the s6-rc source dirs, in order. A name defined twice
// is an error, except user and user2, whose contents add up (they may be
// in s6-rc.d, the older place, and in user-bundles.d). pkg is s6-overlay's
// own sources dir: there the built-in names are skipped.
func loadSources(dirs []string, pkg string, defaults Defaults) (map[string]*source, error) {
	srcs := make(map[string]*source)
	for _, dir := range append(slices.Clone(dirs), pkg) {
		if dir == "" {
			continue
		}
		entries, err := os.ReadDir(dir) // sorted by name
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, &DefinitionError{File: dir, Problem: cause(err), Err: err}
		}
		for _, e := range entries {
			name := e.Name()
			path := filepath.Join(dir, name)
			if strings.HasPrefix(name, ".") || !isDir(path) {
				continue
			}
			if dir == pkg && (slices.Contains(builtinSources, name) || slices.Contains(userBundles, name) || strings.HasPrefix(name, "s6rc-")) {
				continue
			}
			src, err := loadSource(name, path, defaults)
			if err != nil {
				return nil, err
			}
			if err := addSource(srcs, src, path); err != nil {
				return nil, err
			}
		}
	}
	return srcs, nil
}

// addSource adds src, refusing a second definition of a name.
func addSource(srcs map[string]*source, src *source, path string) error {
	old := srcs[src.name]
	switch {
	case old == nil:
		srcs[src.name] = src
	case slices.Contains(userBundles, src.name) && old.typ == "bundle" && src.typ == "bundle":
		old.contents = append(old.contents, src.contents...)
	default:
		return &DefinitionError{Service: src.name, File: path, Problem: "defined twice (s6-rc allows one definition per name)"}
	}
	return nil
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// loadSource reads one source directory.
func loadSource(name, path string, defaults Defaults) (*source, error) {
	p := &parser{service: name, defaults: defaults, shebang: true}
	p.dir = p.resolve(path)
	src := &source{name: name}
	switch {
	case !ValidName(name):
		p.fail("", "invalid name; "+nameForm, nil)
	case strings.HasPrefix(name, "s6rc-") || strings.HasPrefix(name, "s6-rc-"):
		p.fail("", "the prefixes s6rc- and s6-rc- are s6-rc's own", nil)
	case slices.Contains(builtinSources, name):
		p.fail("", "a name of s6-overlay's own, which vigil provides: pick another", nil)
	}
	typ, ok := p.readTrimmed("type", "want longrun, oneshot or bundle")
	if !ok && p.err == nil && slices.Contains(userBundles, name) {
		typ = "bundle" // images made for s6-overlay up to 3.2.3.0 ship user/ without its type
	}
	src.typ = typ
	switch typ {
	case "longrun":
		src.def = p.longrun(name)
		src.producerFor, src.consumerFor, src.pipeline = p.pipelineFiles()
	case "oneshot":
		src.def = p.oneshot(name)
	case "bundle":
		src.contents = p.names("contents")
	case "":
		if p.err == nil {
			p.fail("type", "missing; want longrun, oneshot or bundle", nil)
		}
	default:
		p.fail("type", fmt.Sprintf("invalid value %q; want longrun, oneshot or bundle", typ), nil)
	}
	if src.def != nil {
		src.def.Dependencies = p.names("dependencies")
	}
	if p.err != nil {
		return nil, p.err
	}
	return src, nil
}

// longrun reads a longrun's service directory files, as for a service of
// VIGIL_SERVICES_DIR (README "Services").
func (p *parser) longrun(name string) *Definition {
	d, _ := p.common(name)
	d.Shebang = true
	p.timeout("timeout-up", 0) // s6-rc's limits on a longrun's transitions: read, checked, not used
	p.timeout("timeout-down", 0)
	return d
}

// oneshot reads up (required) and down, each one execline command line.
func (p *parser) oneshot(name string) *Definition {
	d := &Definition{Name: name, Dir: p.dir, Kind: Oneshot}
	d.Up = p.commandLine("up", true)
	d.DownCmd = p.commandLine("down", false)
	d.TimeoutUp = p.timeout("timeout-up", 0)
	d.TimeoutDown = p.timeout("timeout-down", 0)
	if d.TimeoutUp == Limit(0) {
		d.TimeoutUp = NoLimit // absent, or 0: no limit, as in s6-rc
	}
	if d.TimeoutDown == Limit(0) {
		d.TimeoutDown = NoLimit
	}
	d.Env = p.env()
	return d
}

// commandLine reads and checks the execline command line in file.
func (p *parser) commandLine(file string, required bool) []string {
	data, ok := p.read(file)
	if !ok {
		if required && p.err == nil {
			p.fail(file, "missing; want one execline command line", nil)
		}
		return nil
	}
	argv, err := execline.Lex(data)
	if err == nil {
		err = execline.Check(argv)
	}
	if err != nil {
		p.fail(file, err.Error(), err)
		return nil
	}
	return argv
}

// names reads a list of names from file or, when it exists, file.d/ (which
// then wins, as in s6-rc-compile): one name per line, # comments.
func (p *parser) names(file string) []string {
	if entries, err := os.ReadDir(filepath.Join(p.dir, file+".d")); err == nil {
		var names []string
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), ".") {
				names = append(names, e.Name())
			}
		}
		return names
	}
	data, ok := p.read(file)
	if !ok {
		return nil
	}
	names, err := parseDependencies(data)
	if err != nil {
		p.fail(file, err.Error(), err)
	}
	return names
}

// pipelineFiles reads producer-for, consumer-for and pipeline-name.
func (p *parser) pipelineFiles() (producerFor string, consumerFor []string, pipeline string) {
	if data, ok := p.read("producer-for"); ok {
		names, err := parseDependencies(data)
		if err != nil || len(names) != 1 {
			p.fail("producer-for", "want exactly one service name", err)
		} else {
			producerFor = names[0]
		}
	}
	if data, ok := p.read("consumer-for"); ok {
		var err error
		if consumerFor, err = parseDependencies(data); err != nil || len(consumerFor) == 0 {
			p.fail("consumer-for", "want one or more service names", err)
		}
	}
	if s, ok := p.readTrimmed("pipeline-name", "want a name"); ok {
		if !ValidName(s) {
			p.fail("pipeline-name", fmt.Sprintf("invalid name %q; %s", s, nameForm), nil)
		}
		pipeline = s
	}
	return producerFor, consumerFor, pipeline
}

// shebangOf returns the interpreter and its argument from path's #! line,
// as the kernel would run it, or nil when there is none.
func shebangOf(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	b := make([]byte, 256) // BINPRM_BUF_SIZE
	n, _ := f.Read(b)
	line, _, _ := bytes.Cut(b[:n], []byte("\n"))
	rest, ok := bytes.CutPrefix(line, []byte("#!"))
	if !ok {
		return nil
	}
	interp, arg, _ := strings.Cut(strings.TrimSpace(string(rest)), " ")
	if interp == "" {
		return nil
	}
	if arg = strings.TrimSpace(arg); arg != "" {
		return []string{interp, arg}
	}
	return []string{interp}
}
