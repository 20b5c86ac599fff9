# devenv-facade: common tasks. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

# buf lives in its own modfile: its dependency graph would otherwise pull a
# pre-release protobuf runtime into the service's go.mod.
BUF := go tool -modfile=internal/tools/go.mod buf
# staticcheck (honnef.co/go/tools) is pinned beside buf.
STATICCHECK := go tool -modfile=$(CURDIR)/internal/tools/go.mod staticcheck

# Third-party protos imported by proto/ come from pinned packages, not from
# copies committed by hand: google/api from the npm package google-proto-files
# (checked against its sha256), the OpenAPI options from the grpc-gateway Go
# module that go.mod already pins (checked by go.sum).
GOOGLE_PROTO_FILES_VERSION := 6.0.1
GOOGLE_PROTO_FILES_SHA256 := 711763f77ea15bbc7436aac53db013b421d2c7b86ae27f4013723970ce54a96e
GOOGLE_API_PROTOS := annotations.proto http.proto field_behavior.proto
# google/rpc is imported by nothing in proto/: it is generated for the
# TypeScript and Python clients, which decode errors with it (gen/ts,
# gen/python); Go callers have it from genproto.
GOOGLE_RPC_PROTOS := status.proto error_details.proto
THIRD_PARTY := third_party/proto
# The stamp names the package version and the files taken from it, so that a
# change to either fetches again.
THIRD_PARTY_STAMP := $(THIRD_PARTY)/.stamp-$(GOOGLE_PROTO_FILES_VERSION)-$(shell echo $(GOOGLE_API_PROTOS) $(GOOGLE_RPC_PROTOS) | sha256sum | cut -c1-12)

# Debian (bookworm) packages of the Python client. protoc and the gRPC
# Python plugin generate gen/python, so their versions decide its bytes;
# python3-protobuf and python3-grpcio are the runtimes it is generated for.
# Pinned like the Go tools; `make debian-packages` installs them when
# missing (as root, or with sudo).
DEBIAN_PACKAGES := \
	protobuf-compiler=3.21.12-3+deb12u1 \
	protobuf-compiler-grpc=1.51.1-3+b1 \
	python3-protobuf=3.21.12-3+deb12u1 \
	python3-grpcio=1.51.1-3+b1
# Debian packages that build and install the Python client's wheel (make
# client-packages, make test-examples): setuptools and wheel build it
# offline, venv (with its bundled pip) installs it into a fresh
# environment. Their versions change no byte of gen/python: any will do.
DEBIAN_TOOL_PACKAGES := python3-setuptools python3-wheel python3-venv
# Debian's interpreter: it sees Debian's Python modules, which another
# python3 first on PATH (pyenv, a virtualenv) may not.
PYTHON := /usr/bin/python3

# npm ci installs package-lock.json (protoc-gen-es, the TypeScript client's
# dependencies) into node_modules; npm writes this file last.
NODE_MODULES := node_modules/.package-lock.json

.PHONY: help
help: ## Describe the useful make targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | sort | \
		awk 'BEGIN {FS = ":.*?## "}; {printf "%-16s %s\n", $$1, $$2}'

.PHONY: run
run: build ## Run the facade against the embedded ModelArts emulator (flags: make run ARGS="...")
	exec bin/devenv-facade $(ARGS)

.PHONY: build
build: ## Build the commands into bin/
	go build -buildvcs=auto -o bin/ ./cmd/...

.PHONY: test
test: ## Run all tests with the race detector
	go test -race -count=1 ./...

.PHONY: shorttest
shorttest: ## Run the tests without the race detector, quickly
	go test -short ./...

.PHONY: bench
bench: ## Full benchmark run: writes BENCHMARKS.md and bench/latency.png (about 15 minutes)
	cd bench && go run ./cmd/devenv-bench -profile profiles

.PHONY: bench-watch
bench-watch: ## The watch scenario alone: 1,000 watchers of one project against 1,000 pollers (about 4 minutes); prints its report
	cd bench && go run ./cmd/devenv-bench -watch

.PHONY: bench-smoke
bench-smoke: ## About a second per benchmark scenario, to prove the harness works (CI)
	cd bench && go vet ./... && go run ./cmd/devenv-bench -smoke -out "$${TMPDIR:-/tmp}/BENCHMARKS-smoke.md" -chart "$${TMPDIR:-/tmp}/latency-smoke.png"
	cd bench && go run ./cmd/devenv-bench -watch -smoke -watch-out "$${TMPDIR:-/tmp}/BENCHMARKS-watch-smoke.md"

# The container image (deploy/image, a module of its own so that
# go-containerregistry stays out of the service's go.mod): the facade built
# statically, the CA certificates, nothing else; no registry, base image or
# daemon involved. The commit time dates every file, so a build is
# reproducible.
IMAGE_ARCH ?= $(shell go env GOARCH)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
IMAGE ?= devenv-facade:$(VERSION)
IMAGE_DIR := bin/image
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

# build_image builds the image tagged $(IMAGE) into the directory $(1):
# the static binary, then the docker-archive tarball and the OCI layout.
define build_image
rm -rf $(1) && mkdir -p $(1)
CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) go build -trimpath -buildvcs=auto \
	-ldflags "-s -w -X github.com/devenv-facade/devenv-facade/internal/buildinfo.Version=$(VERSION)" \
	-o $(1)/devenv-facade-linux-$(IMAGE_ARCH) ./cmd/devenv-facade
cd deploy && go run ./cmd/build-image -binary $(abspath $(1))/devenv-facade-linux-$(IMAGE_ARCH) -arch $(IMAGE_ARCH) \
	-version $(VERSION) -revision "$$(git rev-parse HEAD 2>/dev/null || echo unknown)" -created $(SOURCE_DATE_EPOCH) \
	-tag $(IMAGE) -tar $(abspath $(1))/devenv-facade.tar -oci $(abspath $(1))/oci
endef

.PHONY: image
image: ## Build the container image into bin/image/: docker-archive tarball and OCI layout (IMAGE, IMAGE_ARCH)
	$(call build_image,$(IMAGE_DIR))

# make test-image builds its own copy, so that what `make image` left in
# bin/image/ (say, IMAGE=devenv-facade:dev for the kustomization) stays.
TEST_IMAGE_DIR := bin/image-test

.PHONY: test-image
test-image: ## Build the image into bin/image-test/ (bin/image/ is left alone), then inspect it: tag, entrypoint, user, files, no shell, size, the binary runs (IMAGE, IMAGE_ARCH)
	$(call build_image,$(TEST_IMAGE_DIR))
	cd deploy && DEVENV_FACADE_IMAGE=$(abspath $(TEST_IMAGE_DIR)/devenv-facade.tar) DEVENV_FACADE_IMAGE_ARCH=$(IMAGE_ARCH) \
		DEVENV_FACADE_IMAGE_TAG=$(IMAGE) go test -count=1 -run '^TestImage' -v ./image

.PHONY: test-deploy
test-deploy: ## The deploy module: vet, and its tests (image builder, Kubernetes manifests decoded strictly)
	cd deploy && go vet ./... && go test -race -count=1 ./...

.PHONY: soak
soak: ## Soak test: 100k calls, 10% injected faults (SOAK_CALLS, SOAK_CONCURRENCY)
	go test -tags soak -run '^TestSoak$$' -count=1 -v -timeout 30m ./internal/server

# Go 1.26's fuzzing coordinator may end a target whose -fuzztime ran out
# with "context deadline exceeded" and no failing input (golang/go#75804,
# fixed in Go 1.27): that is no finding, and the next target runs. A
# failing input (Go writes it to testdata/fuzz/) stops the run.
.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each (default 30s)
	@out=$$(mktemp); trap 'rm -f "$$out"' EXIT; \
	for pkg in $$(go list ./...); do \
		for target in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$target"; \
			if go test $$pkg -run '^$$' -fuzz "^$$target\$$" -fuzztime $${FUZZTIME:-30s} 2>&1 | tee "$$out"; then continue; fi; \
			if grep -qx '    context deadline exceeded' "$$out" && ! grep -q 'Failing input written' "$$out"; then \
				echo "== $$target: no failing input; Go's fuzzing ended at -fuzztime with its own deadline error (golang/go#75804), not a finding"; \
			else \
				exit 1; \
			fi; \
		done; \
	done

.PHONY: lint
lint: $(THIRD_PARTY_STAMP) ## go vet, staticcheck, gofmt, buf lint and buf format
	go vet ./...
	$(STATICCHECK) ./...
	cd bench && $(STATICCHECK) ./...
	cd deploy && $(STATICCHECK) ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^gen/')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(BUF) lint
	$(BUF) format -d --exit-code proto

.PHONY: breaking
breaking: $(THIRD_PARTY_STAMP) ## buf breaking (WIRE_JSON) of proto/ against git ref BREAKING_REF (default HEAD)
	rm -rf .tmp/breaking && mkdir -p .tmp/breaking
	git archive $${BREAKING_REF:-HEAD} proto buf.yaml | tar -x -C .tmp/breaking
	mkdir -p .tmp/breaking/third_party && cp -r $(THIRD_PARTY) .tmp/breaking/third_party/
	cd .tmp/breaking && go tool -modfile=$(abspath internal/tools/go.mod) buf build -o ../breaking.binpb
	$(BUF) build -o .tmp/current.binpb
	$(BUF) breaking .tmp/current.binpb --against .tmp/breaking.binpb

# The vendor JSON code that buf.gen.yaml's own plugin
# (internal/vendorjson/protoc-gen-vendorjson) writes.
VENDORJSON_CODEC := internal/vendorjson/codec

.PHONY: generate
generate: $(THIRD_PARTY_STAMP) $(NODE_MODULES) debian-packages ## Regenerate gen/ from proto/
	$(BUF) format -w proto
	$(BUF) generate
	$(BUF) generate --template buf.gen.rpc.yaml

.PHONY: checkgenerate
checkgenerate: generate ## Fail if gen/ differs from what is committed
	@if [ -n "$$(git status --porcelain -- gen proto $(VENDORJSON_CODEC))" ]; then \
		echo "gen/, proto/ or $(VENDORJSON_CODEC) is stale: run make generate and commit the result"; \
		git status --porcelain -- gen proto $(VENDORJSON_CODEC); git --no-pager diff --stat -- gen proto $(VENDORJSON_CODEC); exit 1; fi

.PHONY: third_party
third_party: $(THIRD_PARTY_STAMP) ## Fetch the third-party protos: those proto/ imports, and google/rpc for the clients

$(THIRD_PARTY_STAMP):
	rm -rf $(THIRD_PARTY) .tmp/npm && mkdir -p $(THIRD_PARTY)/google/api $(THIRD_PARTY)/google/rpc $(THIRD_PARTY)/protoc-gen-openapiv2/options .tmp/npm
	cd .tmp/npm && npm pack --silent google-proto-files@$(GOOGLE_PROTO_FILES_VERSION) >/dev/null
	echo "$(GOOGLE_PROTO_FILES_SHA256)  .tmp/npm/google-proto-files-$(GOOGLE_PROTO_FILES_VERSION).tgz" | sha256sum -c --quiet
	tar -xzf .tmp/npm/google-proto-files-$(GOOGLE_PROTO_FILES_VERSION).tgz -C $(THIRD_PARTY)/google/api \
		--strip-components=3 $(addprefix package/google/api/,$(GOOGLE_API_PROTOS))
	tar -xzf .tmp/npm/google-proto-files-$(GOOGLE_PROTO_FILES_VERSION).tgz -C $(THIRD_PARTY)/google/rpc \
		--strip-components=3 $(addprefix package/google/rpc/,$(GOOGLE_RPC_PROTOS))
	go mod download github.com/grpc-ecosystem/grpc-gateway/v2
	gw=$$(go list -m -f '{{.Dir}}' github.com/grpc-ecosystem/grpc-gateway/v2) && \
		install -m 0644 $$gw/protoc-gen-openapiv2/options/{annotations,openapiv2}.proto $(THIRD_PARTY)/protoc-gen-openapiv2/options/
	touch $@

$(NODE_MODULES): package.json package-lock.json clients/typescript/package.json
	npm ci --no-audit --no-fund
	touch $@

.PHONY: debian-packages
debian-packages: ## Install the pinned Debian packages of gen/python and the Python client, and those that build its wheel, when missing
	@missing=(); \
	for pkg in $(DEBIAN_PACKAGES); do \
		name=$${pkg%%=*} want=$${pkg#*=}; \
		have=$$(dpkg-query -W -f='$${db:Status-Status} $${Version}' "$$name" 2>/dev/null || true); \
		case "$$have" in \
		"installed $$want") ;; \
		installed\ *) echo "Debian package $$name $${have#installed } is installed; gen/python and the Python client are pinned to $$want" >&2; exit 1 ;; \
		*) missing+=("$$pkg") ;; \
		esac; \
	done; \
	for name in $(DEBIAN_TOOL_PACKAGES); do \
		case "$$(dpkg-query -W -f='$${db:Status-Status}' "$$name" 2>/dev/null || true)" in \
		installed) ;; \
		*) missing+=("$$name") ;; \
		esac; \
	done; \
	if [ $${#missing[@]} -gt 0 ]; then \
		command -v apt-get >/dev/null || { echo "needs Debian's packages: $${missing[*]}" >&2; exit 1; }; \
		sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		echo "installing $${missing[*]}"; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends "$${missing[@]}"; \
	fi

.PHONY: test-clients
test-clients: test-typescript test-python test-examples ## The TypeScript and Python clients' tests, and the examples from projects of their own, against the built facade (installs what they need)

# Both suites start bin/devenv-facade, built here once, with the embedded
# emulator on free loopback ports.
.PHONY: facade-binary
facade-binary:
	go build -buildvcs=auto -o bin/ ./cmd/devenv-facade

.PHONY: test-typescript
test-typescript: $(NODE_MODULES) facade-binary ## The TypeScript client's tests (node --test), the OpenAPI document's validation included
	DEVENV_FACADE_BIN=$(abspath bin/devenv-facade) npm test --workspace clients/typescript

.PHONY: test-python
test-python: debian-packages facade-binary ## The Python client's tests (unittest) with Debian's grpcio and protobuf
	DEVENV_FACADE_BIN=$(abspath bin/devenv-facade) $(PYTHON) clients/python/run_tests.py

# The clients as packages, for projects outside this repository (docs/clients.md,
# "From a project of your own"): the npm tarball (its prepack script builds
# the client with a copy of gen/ts) and the Python wheel (devenv_client and
# the packages gen/python holds of the project's own protos, depending on
# the PyPI distributions of the others; built offline by Debian's
# setuptools).
CLIENTS_DIR := bin/clients

.PHONY: client-packages
client-packages: $(NODE_MODULES) debian-packages ## Pack the TypeScript client (npm tarball) and the Python client (wheel) into bin/clients/
	rm -rf $(CLIENTS_DIR) && mkdir -p $(CLIENTS_DIR)
	npm pack --silent --workspace clients/typescript --pack-destination $(CLIENTS_DIR) >/dev/null
	$(PYTHON) clients/python/build_wheel.py $(CLIENTS_DIR) >/dev/null
	@ls -1 $(CLIENTS_DIR)

.PHONY: test-examples
test-examples: facade-binary ## docs/clients.md's use of the stubs from a project of one's own, per language, in a fresh directory outside the repository, against the built facade
	DEVENV_FACADE_BIN=$(abspath bin/devenv-facade) examples/test-outside.sh

.PHONY: clean
clean: ## Remove fetched and temporary files (not gen/)
	rm -rf .tmp third_party node_modules clients/typescript/dist clients/typescript/gen clients/typescript/LICENSE
