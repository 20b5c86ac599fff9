# devenv-facade: common tasks. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

# buf lives in its own modfile: its dependency graph would otherwise pull a
# pre-release protobuf runtime into the service's go.mod.
BUF := go tool -modfile=internal/tools/go.mod buf

# Third-party protos imported by proto/ come from pinned packages, not from
# copies committed by hand: google/api from the npm package google-proto-files
# (checked against its sha256), the OpenAPI options from the grpc-gateway Go
# module that go.mod already pins (checked by go.sum).
GOOGLE_PROTO_FILES_VERSION := 6.0.1
GOOGLE_PROTO_FILES_SHA256 := 711763f77ea15bbc7436aac53db013b421d2c7b86ae27f4013723970ce54a96e
GOOGLE_API_PROTOS := annotations.proto http.proto field_behavior.proto
THIRD_PARTY := third_party/proto
THIRD_PARTY_STAMP := $(THIRD_PARTY)/.stamp-$(GOOGLE_PROTO_FILES_VERSION)

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
bench: ## Full benchmark run: writes BENCHMARKS.md and bench/latency.png (about 6 minutes)
	cd bench && go run ./cmd/devenv-bench -profile profiles

.PHONY: bench-smoke
bench-smoke: ## About a second per benchmark scenario, to prove the harness works (CI)
	cd bench && go vet ./... && go run ./cmd/devenv-bench -smoke -out "$${TMPDIR:-/tmp}/BENCHMARKS-smoke.md" -chart "$${TMPDIR:-/tmp}/latency-smoke.png"

.PHONY: soak
soak: ## Soak test: 100k calls, 10% injected faults (SOAK_CALLS, SOAK_CONCURRENCY)
	go test -tags soak -run '^TestSoak$$' -count=1 -v -timeout 30m ./internal/server

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each (default 30s)
	@for pkg in $$(go list ./...); do \
		for target in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$target"; \
			go test $$pkg -run '^$$' -fuzz "^$$target\$$" -fuzztime $${FUZZTIME:-30s} || exit 1; \
		done; \
	done

.PHONY: lint
lint: $(THIRD_PARTY_STAMP) ## go vet, gofmt, buf lint and buf format
	go vet ./...
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

.PHONY: generate
generate: $(THIRD_PARTY_STAMP) ## Regenerate gen/ from proto/
	$(BUF) format -w proto
	$(BUF) generate

.PHONY: checkgenerate
checkgenerate: generate ## Fail if gen/ differs from what is committed
	@if [ -n "$$(git status --porcelain -- gen proto)" ]; then \
		echo "gen/ or proto/ is stale: run make generate and commit the result"; \
		git status --porcelain -- gen proto; git --no-pager diff --stat -- gen proto; exit 1; fi

.PHONY: third_party
third_party: $(THIRD_PARTY_STAMP) ## Fetch the third-party protos proto/ imports

$(THIRD_PARTY_STAMP):
	rm -rf $(THIRD_PARTY) .tmp/npm && mkdir -p $(THIRD_PARTY)/google/api $(THIRD_PARTY)/protoc-gen-openapiv2/options .tmp/npm
	cd .tmp/npm && npm pack --silent google-proto-files@$(GOOGLE_PROTO_FILES_VERSION) >/dev/null
	echo "$(GOOGLE_PROTO_FILES_SHA256)  .tmp/npm/google-proto-files-$(GOOGLE_PROTO_FILES_VERSION).tgz" | sha256sum -c --quiet
	tar -xzf .tmp/npm/google-proto-files-$(GOOGLE_PROTO_FILES_VERSION).tgz -C $(THIRD_PARTY)/google/api \
		--strip-components=3 $(addprefix package/google/api/,$(GOOGLE_API_PROTOS))
	go mod download github.com/grpc-ecosystem/grpc-gateway/v2
	gw=$$(go list -m -f '{{.Dir}}' github.com/grpc-ecosystem/grpc-gateway/v2) && \
		install -m 0644 $$gw/protoc-gen-openapiv2/options/{annotations,openapiv2}.proto $(THIRD_PARTY)/protoc-gen-openapiv2/options/
	touch $@

.PHONY: clean
clean: ## Remove fetched and temporary files (not gen/)
	rm -rf .tmp third_party
