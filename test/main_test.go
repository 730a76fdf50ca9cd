// Package test holds black-box tests of the built vigil binary: as real PID 1
// in a new PID namespace, as a subreaper, and inside Docker.
package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Built once by TestMain, shared by every test.
var (
	vigilBin  string // the static vigil binary, built as `make build` builds it
	initBin   string // a symlink named "init" to vigilBin: argv[0] selects boot mode
	helperBin string // test/helper: a program that reports what it sees
)

// raceBuild (VIGIL_TEST_RACE=1, make test-race) builds vigil with the race
// detector: dynamically linked, so for the tests on this host, not in images.
var raceBuild = os.Getenv("VIGIL_TEST_RACE") == "1"

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "vigil-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "test: create build dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	vigilBin = filepath.Join(dir, "vigil")
	helperBin = filepath.Join(dir, "helper")
	vigilBuild := []string{"-trimpath", "-gcflags=all=-l", "-gcflags=runtime=", "-ldflags", "-s -w", "-o", vigilBin, ".."}
	if raceBuild {
		vigilBuild = []string{"-race", "-o", vigilBin, ".."}
		fmt.Fprintln(os.Stderr, "test: VIGIL_TEST_RACE=1: vigil built with -race")
	}
	builds := [][]string{vigilBuild, {"-o", helperBin, "./helper"}}
	for _, args := range builds {
		cmd := exec.Command("go", append([]string{"build"}, args...)...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if args[0] == "-race" {
			cmd.Env = append(os.Environ(), "CGO_ENABLED=1") // the race detector needs cgo
		}
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "test: go build %v: %v\n", args, err)
			return 1
		}
	}
	initBin = filepath.Join(dir, "init")
	if err := os.Symlink(vigilBin, initBin); err != nil {
		fmt.Fprintln(os.Stderr, "test: link init:", err)
		return 1
	}
	return m.Run()
}
