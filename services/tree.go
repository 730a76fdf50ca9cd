package services

import (
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Dirs are where the definitions are (README "Boot", "s6-overlay v3
// images").
type Dirs struct {
	Services string   // VIGIL_SERVICES_DIR: service directories
	Init     string   // VIGIL_INIT_DIR: init scripts
	Sources  []string // s6-rc source dirs: s6-rc.d, then user-bundles.d
	Package  string   // s6-overlay's own source dir, read for what images add to it
}

// Tree is everything vigil starts at boot, as one dependency graph, in
// the order s6-overlay v3 gives it (README "Boot"):
//
//	fix-attrs → init scripts, one at a time → legacy-cont-init   (= base)
//	user bundle, each member when its dependencies are up (base only if it says so)
//	legacy-services (after base and user) → the service directories
//	user2 bundle, members that depend on legacy-services after it
//
// The points s6-overlay names (fix-attrs, legacy-cont-init,
// legacy-services) are hidden oneshots that do nothing; base is a bundle.
type Tree struct {
	Defs    []*Definition       // every atom: longruns and oneshots, loggers flat
	Bundles map[string][]string // bundle → its atoms
	Boot    []string            // the atoms started at boot, down files and VIGIL_DISABLE aside
}

// The points of the boot, named as s6-overlay names them.
const (
	pointFixAttrs       = "fix-attrs"
	pointContInit       = "legacy-cont-init"
	pointLegacyServices = "legacy-services"
	bundleBase          = "base"
)

// initPrefix names an init script's oneshot: "cont-init.d/10-adduser".
const initPrefix = "cont-init.d/"

// LoadTree reads every definition and resolves the graph. Errors are
// *DefinitionError: a broken service or source, an unknown name, a cycle.
func LoadTree(dirs Dirs, defaults Defaults, log *slog.Logger) (*Tree, error) {
	services, err := Load(dirs.Services, defaults)
	if err != nil {
		return nil, err
	}
	srcs, err := loadSources(dirs.Sources, dirs.Package, defaults)
	if err != nil {
		return nil, err
	}
	t := &Tree{Bundles: map[string][]string{}}
	warnFixAttrs(filepath.Join(filepath.Dir(dirs.Init), "fix-attrs.d"), log)
	t.addPoints(ListScripts(dirs.Init, log))
	for _, d := range serviceDirs(services) {
		t.Defs = append(t.Defs, d)
		t.Boot = append(t.Boot, d.Name)
	}
	if err := t.addSources(srcs); err != nil {
		return nil, err
	}
	if err := t.resolve(); err != nil {
		return nil, err
	}
	return t, nil
}

// addPoints adds the boot's points and the init scripts between them.
func (t *Tree) addPoints(scripts []string) {
	point := func(name string, deps ...string) {
		t.Defs = append(t.Defs, &Definition{Name: name, Kind: Oneshot, Hidden: true, Point: true, Dependencies: deps,
			TimeoutUp: NoLimit, TimeoutDown: NoLimit})
		t.Boot = append(t.Boot, name)
	}
	point(pointFixAttrs)
	prev := pointFixAttrs
	for _, path := range scripts {
		name := initPrefix + filepath.Base(path)
		t.Defs = append(t.Defs, &Definition{
			Name: name, Kind: Oneshot, Hidden: true, Prefix: filepath.Base(path),
			Up: []string{path}, Dependencies: []string{prev}, TimeoutUp: NoLimit, TimeoutDown: NoLimit,
		})
		t.Boot = append(t.Boot, name)
		prev = name
	}
	point(pointContInit, prev)
	t.Bundles[bundleBase] = []string{pointFixAttrs, pointContInit}
	point(pointLegacyServices, bundleBase, "user")
}

// addSources adds the s6-rc sources: atoms, bundles, pipelines. user and
// user2 are started at boot, and exist (empty) if the image has neither.
func (t *Tree) addSources(srcs map[string]*source) error {
	for _, name := range userBundles {
		if srcs[name] == nil {
			srcs[name] = &source{name: name, typ: "bundle"}
		}
		if srcs[name].typ != "bundle" {
			return &DefinitionError{Service: name, File: "type", Problem: "must be a bundle: vigil starts its contents at boot"}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(srcs)) {
		src := srcs[name]
		if src.typ == "bundle" {
			t.Bundles[name] = src.contents
			continue
		}
		if src.producerFor != "" {
			src.def.Consumer = src.producerFor
		}
		t.Defs = append(t.Defs, src.def)
	}
	if err := t.linkPipelines(srcs); err != nil {
		return err
	}
	t.Boot = append(t.Boot, "user", "user2")
	return nil
}

// linkPipelines checks that producers and consumers name each other, and
// makes each pipeline-name a bundle of its whole pipeline.
func (t *Tree) linkPipelines(srcs map[string]*source) error {
	for _, src := range srcs {
		if p := src.producerFor; p != "" {
			c := srcs[p]
			if c == nil || !slices.Contains(c.consumerFor, src.name) {
				return &DefinitionError{Service: src.name, File: "producer-for",
					Problem: fmt.Sprintf("%q does not list %s in its consumer-for", p, src.name)}
			}
		}
		for _, p := range src.consumerFor {
			if prod := srcs[p]; prod == nil || prod.producerFor != src.name {
				return &DefinitionError{Service: src.name, File: "consumer-for",
					Problem: fmt.Sprintf("%q does not name %s in its producer-for", p, src.name)}
			}
		}
		if src.pipeline != "" {
			if _, taken := srcs[src.pipeline]; taken {
				return &DefinitionError{Service: src.name, File: "pipeline-name", Problem: fmt.Sprintf("%q is the name of a service already", src.pipeline)}
			}
			t.Bundles[src.pipeline] = pipelineOf(srcs, src.name)
		}
	}
	return nil
}

// pipelineOf is the consumer last and every service feeding it, at any depth.
func pipelineOf(srcs map[string]*source, last string) []string {
	members := []string{last}
	for i := 0; i < len(members); i++ {
		members = append(members, srcs[members[i]].consumerFor...)
	}
	return members
}

// resolve turns every dependency and bundle member into atoms, checking
// that each name exists, and looks for cycles.
func (t *Tree) resolve() error {
	atoms := make(map[string]*Definition, len(t.Defs))
	for _, d := range t.Defs {
		if atoms[d.Name] != nil || t.Bundles[d.Name] != nil {
			return &DefinitionError{Service: d.Name, Problem: "defined twice: as a service directory and as an s6-rc source, or as both a service and a bundle"}
		}
		atoms[d.Name] = d
	}
	expand := func(who, file string, names []string) ([]string, error) {
		var out []string
		seen := map[string]bool{}
		var walk func(name string, path []string) error
		walk = func(name string, path []string) error {
			if slices.Contains(path, name) {
				return &DefinitionError{Service: who, File: file, Problem: "bundle cycle " + strings.Join(append(path, name), " -> ")}
			}
			switch {
			case atoms[name] != nil:
				if !seen[name] {
					seen[name] = true
					out = append(out, name)
				}
			case t.Bundles[name] != nil || slices.Contains(userBundles, name):
				for _, m := range t.Bundles[name] {
					if err := walk(m, append(path, name)); err != nil {
						return err
					}
				}
			default:
				return &DefinitionError{Service: who, File: file, Problem: fmt.Sprintf("unknown service or bundle %q", name)}
			}
			return nil
		}
		for _, n := range names {
			if err := walk(n, nil); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	for _, d := range t.Defs {
		deps, err := expand(d.Name, "dependencies", d.Dependencies)
		if err != nil {
			return err
		}
		if d.Consumer != "" && atoms[d.Consumer] == nil {
			return &DefinitionError{Service: d.Name, File: "producer-for", Problem: fmt.Sprintf("unknown service %q", d.Consumer)}
		}
		d.Dependencies = slices.DeleteFunc(deps, func(n string) bool { return n == d.Name })
	}
	for name, members := range t.Bundles {
		atomsOf, err := expand(name, "contents", members)
		if err != nil {
			return err
		}
		t.Bundles[name] = atomsOf
	}
	boot, err := expand("boot", "", t.Boot)
	if err != nil {
		return err
	}
	t.Boot = boot
	return checkCycles(t.Defs)
}

// serviceDirs makes the definitions of VIGIL_SERVICES_DIR atoms of the
// tree: each logger after its service, as a service of its own that the
// service feeds, and all of them after legacy-services, where s6-overlay
// starts /etc/services.d.
func serviceDirs(defs []*Definition) []*Definition {
	var out []*Definition
	for _, d := range defs {
		out = append(out, d)
		if d.Log != nil {
			d.Consumer = d.Log.Name
			out = append(out, d.Log)
		}
	}
	for _, d := range out {
		d.Dependencies = append(slices.Clone(d.Dependencies), pointLegacyServices)
		d.Reloadable = true
	}
	return out
}

// warnFixAttrs says, once, that fix-attrs.d files are not applied:
// s6-overlay v3 deprecated them; the point fix-attrs is there for the
// dependencies that name it.
func warnFixAttrs(dir string, log *slog.Logger) {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		return
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	log.Warn("fix-attrs.d is not applied (deprecated by s6-overlay v3): set owners and modes in the image or an init script",
		"dir", dir, "files", strings.Join(names, ","))
}

// ListScripts returns the executable regular files of dir in byte order of
// their names (symlinks followed), for init and finish scripts. Files that
// are not executable are skipped with a warning naming them; a missing dir
// has no scripts.
func ListScripts(dir string, log *slog.Logger) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if !os.IsNotExist(err) {
			log.Warn("read scripts", "dir", dir, "err", err)
		}
		return nil
	}
	var scripts []string
	for _, e := range entries { // os.ReadDir sorts by name, byte-wise
		path := filepath.Join(dir, e.Name())
		info, err := os.Stat(path)
		switch {
		case err != nil:
			log.Warn("skipped script", "path", path, "err", err)
		case !info.Mode().IsRegular():
			log.Debug("skipped: not a regular file", "path", path)
		case info.Mode()&0o111 == 0:
			log.Warn("skipped script: not executable", "path", path)
		default:
			scripts = append(scripts, path)
		}
	}
	return scripts
}
