# vigil: a container init (PID 1) with supervision.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GOFLAGS_BUILD = -trimpath -ldflags '-s -w -X github.com/vigil-init/vigil/init.Version=$(VERSION)'

.PHONY: help build release test test-unit test-blackbox lint fuzz bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build the static, stripped binary bin/vigil
	CGO_ENABLED=0 go build $(GOFLAGS_BUILD) -o bin/vigil .

release: ## static binaries for Docker's platforms: bin/vigil-linux-amd64, bin/vigil-linux-arm64
	for arch in amd64 arm64; do \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$$arch go build $(GOFLAGS_BUILD) -o bin/vigil-linux-$$arch . || exit 1; \
	done

test: lint ## run every test: unit, black-box as PID 1, Docker (needs root; see docker/setup-engine.sh)
	go test -count=1 ./...

# UNIT_PKGS: every package but the black-box tests in test/.
UNIT_PKGS = $(shell go list ./... | grep -v '/test')

test-unit: ## run the unit tests of every package
	go test -count=1 $(UNIT_PKGS)

test-blackbox: ## run the black-box tests of the built binary only
	go test -count=1 -v ./test/

lint: ## gofmt -l prints nothing, go vet passes
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go vet ./...

fuzz: ## run every Fuzz target of every package for FUZZTIME each (default 10s)
	@set -e; for pkg in $(UNIT_PKGS); do 	  for f in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do 	    echo "fuzz: $$pkg $$f"; 	    go test $$pkg -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-10s}; 	  done; 	done

bench: ## vigil beside tini, dumb-init, s6, runit, supervisord → docs/benchmarks.md (root; apt; BENCH_QUICK=1: short)
	test/bench.sh

clean: ## remove build output
	rm -rf bin
