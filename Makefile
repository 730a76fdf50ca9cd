# vigil: a container init (PID 1) with supervision.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# -gcflags: no inlining outside the runtime. Inlined copies cost the binary
# 150 KB (their code and the pc tables that describe it): without them it is
# under 3.5 MiB. An init runs each of its paths a few times per event; the
# price measured is ~0.4 ms more for `init true` (5%, interleaved runs), the
# orphan storm unchanged.
GOFLAGS_BUILD = -trimpath -gcflags=all=-l -gcflags=runtime= -ldflags '-s -w -X github.com/vigil-init/vigil/init.Version=$(VERSION)'

.PHONY: help demo build release image test test-unit test-blackbox test-race lint fuzz bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

demo: build ## vigil in a container: boot, status, prefixed logs, docker stop and its time (starts a Docker engine if needed)
	docker/demo.sh

build: ## build the static, stripped binary bin/vigil
	CGO_ENABLED=0 go build $(GOFLAGS_BUILD) -o bin/vigil .

# Docker's platform names, with / as -: linux/arm/v7 is arm-v7.
RELEASE_PLATFORMS = amd64 arm64 arm-v7 arm-v6 386 ppc64le s390x riscv64

# RELEASE_DIR: where make release writes (the release test points it elsewhere).
RELEASE_DIR ?= bin

release: $(addprefix release-,$(RELEASE_PLATFORMS)) ## static binaries bin/vigil-linux-PLATFORM for every Docker platform, and bin/SHA256SUMS
	cd $(RELEASE_DIR) && sha256sum $(addprefix vigil-linux-,$(RELEASE_PLATFORMS)) > SHA256SUMS

release-%:
	@arch=$*; goarm=; case $$arch in arm-v*) goarm=$${arch#arm-v}; arch=arm;; esac; \
	  echo "release: $(RELEASE_DIR)/vigil-linux-$*"; \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$$arch GOARM=$$goarm go build $(GOFLAGS_BUILD) -o $(RELEASE_DIR)/vigil-linux-$* .

image: build ## the image vigil:latest: /init and its helper links (PLATFORM=linux/arm64 for another)
	@if [ -n "$(PLATFORM)" ]; then \
	  arch=$$(echo "$(PLATFORM)" | sed 's,^linux/,,; s,/,-,'); \
	  $(MAKE) --no-print-directory release-$$arch && \
	  VIGIL_LINKS_FROM=bin/vigil docker/build-image.sh bin/vigil-linux-$$arch vigil:latest $(PLATFORM); \
	else docker/build-image.sh bin/vigil vigil:latest; fi

test: lint ## run every test: unit, black-box as PID 1, Docker (needs root; see docker/setup-engine.sh)
	go test -count=1 ./...

# UNIT_PKGS: every package but the black-box tests in test/.
UNIT_PKGS = $(shell go list ./... | grep -v '/test')

test-unit: ## run the unit tests of every package
	go test -count=1 $(UNIT_PKGS)

test-blackbox: ## run the black-box tests of the built binary only
	go test -count=1 -v ./test/

test-race: ## unit tests and the host's black-box tests with the race detector (vigil built -race; needs gcc)
	go test -race -count=1 $(UNIT_PKGS)
	VIGIL_TEST_RACE=1 GORACE=exitcode=66 go test -count=1 -timeout 30m ./test/ -skip '^(TestDocker|TestPodman|TestRelease)'

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
