package services

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// s6Tree writes an s6-rc.d tree under a temp dir and loads it with the
// service dir and init dir given (either may be "").
func loadS6Tree(t *testing.T, files map[string]string, services, initDir string) (*Tree, error) {
	t.Helper()
	root := t.TempDir()
	src := filepath.Join(root, "s6-rc.d")
	for p, content := range files {
		path := filepath.Join(src, p)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if base := filepath.Base(p); base == "run" || base == "finish" {
			mode = 0o755
		}
		if strings.HasSuffix(p, "/") {
			continue
		}
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return LoadTree(Dirs{Services: services, Init: initDir, Sources: []string{src}},
		Defaults{TimeoutKill: time.Second, TimeoutFinish: time.Second}, quiet)
}

func defNamed(tr *Tree, name string) *Definition {
	for _, d := range tr.Defs {
		if d.Name == name {
			return d
		}
	}
	return nil
}

func TestLoadTreeSources(t *testing.T) {
	tr, err := loadS6Tree(t, map[string]string{
		"init-a/type":                  "oneshot\n",
		"init-a/up":                    "#!/command/execlineb -P\n/etc/s6-overlay/s6-rc.d/init-a/run\n",
		"init-a/dependencies.d/base":   "",
		"init-b/type":                  "oneshot",
		"init-b/up":                    `foreground { echo "hi there" } exit 0`,
		"init-b/down":                  "echo bye",
		"init-b/timeout-up":            "2500",
		"svc-web/type":                 "longrun\n",
		"svc-web/run":                  "#!/bin/sh\nexec sleep 1000\n",
		"svc-web/dependencies":         "init-a\ninit-b\n",
		"svc-web/producer-for":         "svc-web-log",
		"svc-web-log/type":             "longrun",
		"svc-web-log/run":              "#!/bin/sh\nexec cat\n",
		"svc-web-log/consumer-for":     "svc-web",
		"svc-web-log/pipeline-name":    "web-pipeline",
		"user/contents.d/svc-web":      "", // a type-less user, as images for s6-overlay < 3.2.3.1 ship it
		"user/contents.d/web-pipeline": "",
	}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	a, b, web := defNamed(tr, "init-a"), defNamed(tr, "init-b"), defNamed(tr, "svc-web")
	switch {
	case a == nil || a.Kind != Oneshot || !slices.Equal(a.Up, []string{"/etc/s6-overlay/s6-rc.d/init-a/run"}):
		t.Errorf("init-a = %+v; want a oneshot running its run script", a)
	case !slices.Equal(a.Dependencies, []string{pointFixAttrs, pointContInit}):
		t.Errorf("init-a depends on %q; want base's atoms", a.Dependencies)
	case !slices.Equal(b.Up, []string{"foreground", " echo", " hi there", "", "exit", "0"}) || !slices.Equal(b.DownCmd, []string{"echo", "bye"}):
		t.Errorf("init-b up %q down %q; want the command lines lexed", b.Up, b.DownCmd)
	case b.TimeoutUp != Limit(2500*time.Millisecond) || b.TimeoutDown != NoLimit:
		t.Errorf("init-b timeouts %v, %v; want 2.5s and no limit", b.TimeoutUp, b.TimeoutDown)
	case web.Kind != Longrun || web.Consumer != "svc-web-log" || !slices.Equal(web.Dependencies, []string{"init-a", "init-b"}):
		t.Errorf("svc-web = %+v; want a longrun feeding svc-web-log after init-a and init-b", web)
	case !slices.Equal(tr.Bundles["web-pipeline"], []string{"svc-web-log", "svc-web"}):
		t.Errorf("web-pipeline = %q; want the pipeline", tr.Bundles["web-pipeline"])
	case !slices.Contains(tr.Boot, "svc-web") || !slices.Contains(tr.Boot, "svc-web-log") || slices.Contains(tr.Boot, "init-b"):
		t.Errorf("boot = %q; want the user bundle's members (init-b comes in as a dependency)", tr.Boot)
	}
}

func TestLoadTreeErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"unsupported execline", map[string]string{"x/type": "oneshot", "x/up": "pipeline { a } b"},
			`service x: up: unsupported execline program "pipeline"`},
		{"bad quote", map[string]string{"x/type": "oneshot", "x/up": "echo \"open"}, "service x: up: line 1: unterminated"},
		{"no up", map[string]string{"x/type": "oneshot"}, "service x: up: missing"},
		{"no type", map[string]string{"x/up": "true"}, "service x: type: missing"},
		{"bad type", map[string]string{"x/type": "daemon"}, `service x: type: invalid value "daemon"`},
		{"unknown dependency", map[string]string{"x/type": "oneshot", "x/up": "true", "x/dependencies": "nosuch"},
			`service x: dependencies: unknown service or bundle "nosuch"`},
		{"builtin name", map[string]string{"base/type": "bundle", "base/contents": ""}, "service base: a name of s6-overlay's own"},
		{"producer not named back", map[string]string{"p/type": "longrun", "p/run": "#!/bin/sh\n", "p/producer-for": "c",
			"c/type": "longrun", "c/run": "#!/bin/sh\n"}, `service p: producer-for: "c" does not list p`},
		{"cycle", map[string]string{"a/type": "oneshot", "a/up": "true", "a/dependencies": "b",
			"b/type": "oneshot", "b/up": "true", "b/dependencies": "a"}, "dependency cycle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadS6Tree(t, tt.files, "", "")
			var de *DefinitionError
			if !errors.As(err, &de) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadTree = %v; want a DefinitionError saying %q", err, tt.want)
			}
		})
	}
}

// TestLoadTreeShebang: an s6-rc longrun's run without the execute bit is
// fine when it has a #! line (s6-rc-compile copies it 0755), refused
// without one.
func TestLoadTreeShebang(t *testing.T) {
	for _, tt := range []struct {
		run string
		ok  bool
	}{{"#!/usr/bin/with-contenv bash\nexec sleep 1\n", true}, {"exec sleep 1\n", false}} {
		root := t.TempDir()
		dir := filepath.Join(root, "s6-rc.d", "svc")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "type"), []byte("longrun\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "run"), []byte(tt.run), 0o644)
		tr, err := LoadTree(Dirs{Sources: []string{filepath.Join(root, "s6-rc.d")}}, Defaults{}, quiet)
		switch {
		case tt.ok && (err != nil || !defNamed(tr, "svc").Shebang):
			t.Errorf("run %q mode 0644: %v; want it loaded, run by its #! line", tt.run, err)
		case !tt.ok && (err == nil || !strings.Contains(err.Error(), "no #! line")):
			t.Errorf("run %q mode 0644: %v; want an error saying it has no #! line", tt.run, err)
		}
	}
}

// FuzzLoadSource: any content of a source's files loads or is refused
// with a DefinitionError; never a panic.
func FuzzLoadSource(f *testing.F) {
	f.Add("oneshot", "foreground { echo a } echo b", "base", "")
	f.Add("longrun", "", "x\n#c\n", "")
	f.Add("bundle", "", "", "svc\nuser\n")
	f.Add("oneshot", "\"\\0x41{", "", "")
	f.Fuzz(func(t *testing.T, typ, up, deps, contents string) {
		files := map[string]string{"svc/type": typ, "svc/up": up, "svc/run": "#!/bin/sh\n",
			"svc/dependencies": deps, "b/type": "bundle", "b/contents": contents}
		tr, err := loadS6Tree(t, files, "", "")
		var de *DefinitionError
		if err != nil && !errors.As(err, &de) {
			t.Fatalf("LoadTree error %v (%T); want a *DefinitionError", err, err)
		}
		if err == nil && tr == nil {
			t.Fatal("LoadTree = nil, nil")
		}
	})
}
