# Builds the Tyk v5.8.1 gateway and this plugin the way Tyk releases them,
# checks that the gateway accepts the plugin, and runs the tests.
# `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

TYK_VERSION := v5.8.1
TYK_MODULE := github.com/TykTechnologies/tyk
# Tyk's release tags are not valid Go module versions: this is the
# pseudo-version of the v5.8.1 tag's commit.
TYK_PSEUDO_VERSION := v1.9.2-0.20250509162946-e65eff00608a
PLUGIN_SYMBOL := JWKSAuth

BUILD := build
GOOS := $(shell go env GOOS)
GOARCH := $(shell go env GOARCH)
PLUGIN := $(BUILD)/jwks-auth.so
PLUGIN_VERSIONED := $(BUILD)/jwks-auth_$(TYK_VERSION)_$(GOOS)_$(GOARCH).so
GATEWAY := $(BUILD)/tyk
TYK_SRC := $(BUILD)/tyk-src
WORKSPACE := $(BUILD)/ws/go.work
DEPS_STAMP := $(BUILD)/deps/.aligned

PLUGIN_SOURCES := go.mod go.sum $(shell find plugin internal/jwtauth -name '*.go' -not -name '*_test.go')

.PHONY: help deps gateway plugin compat test run bundle bench clean

help:
	@echo "make run      build everything and start a local stack: Redis, issuer, upstream, gateway"
	@echo "make test     compat, vet, unit tests, fuzz seeds and the end-to-end suite against the real gateway"
	@echo "make gateway  build Tyk $(TYK_VERSION) into $(GATEWAY) (about 3 minutes the first time)"
	@echo "make plugin   build $(PLUGIN) and $(PLUGIN_VERSIONED)"
	@echo "make compat   check that the gateway accepts the plugin; prints the module versions that differ"
	@echo "make bundle   build $(BUILD)/bundle.zip from manifest.json with the gateway's bundler"
	@echo "make bench    Go benchmarks, then a wrk load run through the gateway (needs wrk)"

deps: $(DEPS_STAMP)

# build/go.mod makes build/ a module of its own, so that `go test ./...`
# does not treat the gateway templates copied there as a package.
$(DEPS_STAMP): scripts/align-deps.sh
	scripts/align-deps.sh
	printf 'module build-outputs\n' > $(BUILD)/go.mod
	touch $@

# The gateway's own module source (its go.mod, go.sum and templates/),
# copied out of the read-only module cache.
$(TYK_SRC)/go.mod:
	dir=$$(cd "$$(mktemp -d)" && GOWORK=off GOFLAGS=-mod=mod \
		go mod download -json $(TYK_MODULE)@$(TYK_PSEUDO_VERSION) | sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p'); \
	rm -rf $(TYK_SRC) && mkdir -p $(BUILD) && cp -r "$$dir" $(TYK_SRC) && chmod -R u+w $(TYK_SRC)

gateway: $(GATEWAY)

# As Tyk's release build does (ci/goreleaser/goreleaser.yml at the tag):
# -tags=goplugin -trimpath, and the version stamped in, so that the plugin
# loader also looks for jwks-auth_v5.8.1_linux_amd64.so.
$(GATEWAY): $(TYK_SRC)/go.mod
	cd $(TYK_SRC) && GOWORK=off CGO_ENABLED=1 go build -tags=goplugin -trimpath \
		-ldflags "-X $(TYK_MODULE)/internal/build.Version=$(TYK_VERSION)" -o ../tyk .
	rm -rf $(BUILD)/templates && cp -r $(TYK_SRC)/templates $(BUILD)/templates

# As Tyk's plugin compiler does (ci/images/plugin-compiler/data/build.sh):
# one Go workspace holding the gateway source and the plugin module, so
# that every package both link is built from the same source.
$(WORKSPACE): $(TYK_SRC)/go.mod
	mkdir -p $(dir $@)
	printf 'go 1.23.4\n\nuse (\n\t../..\n\t../tyk-src\n)\n' > $@

plugin: $(PLUGIN_VERSIONED)

$(PLUGIN): $(PLUGIN_SOURCES) $(DEPS_STAMP) $(WORKSPACE)
	GOWORK=$(CURDIR)/$(WORKSPACE) CGO_ENABLED=1 go build -buildmode=plugin -trimpath -o $@ ./plugin

$(PLUGIN_VERSIONED): $(PLUGIN)
	cp $< $@

compat: $(PLUGIN_VERSIONED) $(GATEWAY)
	go run ./cmd/compat -plugin $(PLUGIN) -gateway $(GATEWAY) -gomod $(TYK_SRC)/go.mod
	$(GATEWAY) plugin load -f $(PLUGIN) -s $(PLUGIN_SYMBOL) | tee $(BUILD)/plugin-load.txt
	grep -q 'loaded ok' $(BUILD)/plugin-load.txt

test: compat
	go vet ./...
	go test -count=1 ./...

# devstack is built and started directly, not with `go run`, so that
# Ctrl-C reaches it and its exit status is make's.
run: $(DEPS_STAMP) $(PLUGIN_VERSIONED) $(GATEWAY)
	go build -o $(BUILD)/devstack ./cmd/devstack
	exec $(BUILD)/devstack

bundle: $(PLUGIN) $(GATEWAY) manifest.json
	rm -rf $(BUILD)/bundle && mkdir -p $(BUILD)/bundle
	cp manifest.json $(PLUGIN) $(BUILD)/bundle/
	cd $(BUILD)/bundle && ../tyk bundle build -y -m manifest.json -o ../bundle.zip
	@echo "bundle: $(BUILD)/bundle.zip"

bench: $(DEPS_STAMP) $(PLUGIN_VERSIONED) $(GATEWAY)
	go test -run '^$$' -bench . -benchmem ./internal/jwtauth | tee $(BUILD)/bench-go.txt
	scripts/bench.sh

clean:
	rm -rf $(BUILD)
