# gahost — see README.md. Every target works from a fresh clone with Go and make.

GO        ?= go
BIN       := $(CURDIR)/bin
TOOLS     := $(CURDIR)/.tools/bin
STATICCHECK_VERSION := v0.8.2
# Every Go module of the repo; each plugin under plugins/ is one.
PLUGINS   := $(patsubst plugins/%/go.mod,%,$(wildcard plugins/*/go.mod))
MODULES   := proto sdk host scripts/protogen scripts/demo $(addprefix plugins/,$(PLUGINS))
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: all build run demo test test-modules test-standalone test-scaffold proto proto-check lint bench clean

all: build

build:
	@mkdir -p $(BIN)/plugins
	cd host && $(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN)/gahost ./cmd/gahost
	@for p in $(PLUGINS); do \
		echo "building gahost-plugin-$$p"; \
		(cd plugins/$$p && $(GO) build -o $(BIN)/plugins/.gahost-plugin-$$p.tmp . && \
			mv -f $(BIN)/plugins/.gahost-plugin-$$p.tmp $(BIN)/plugins/gahost-plugin-$$p) || exit 1; \
	done

run: build
	$(BIN)/gahost serve -config config.hcl

# gahost without exchange keys: the daemon, every connector's fake exchange
# and a demo user with an account on each, all on loopback; Ctrl-C stops
# them all. DEMO_LISTEN picks another address for the dashboard.
DEMO_LISTEN ?= 127.0.0.1:8080
demo: build
	@mkdir -p $(BIN)/demo
	@for p in $(PLUGINS); do \
		test ! -d plugins/$$p/fake/cmd/fake$$p || \
		(cd plugins/$$p && $(GO) build -o $(BIN)/demo/fake$$p ./fake/cmd/fake$$p) || exit 1; \
	done
	cd scripts/demo && $(GO) build -o $(BIN)/demo/gahost-demo .
	$(BIN)/demo/gahost-demo -bin $(BIN) -listen $(DEMO_LISTEN)

# The README's test command and what CI runs: the generated proto code is
# current, every module builds on its own, and every module's tests pass.
test: proto-check test-standalone test-scaffold test-modules

test-modules:
	@set -e; for m in $(MODULES); do \
		echo "== go test $$m"; \
		(cd $$m && $(GO) test -count=1 -timeout 20m ./...); \
	done

# Plugin authors build their module alone, outside this workspace.
# -o /dev/null: a module whose only package is a command would otherwise
# leave its binary in the tree.
test-standalone:
	@set -e; for m in $(MODULES); do \
		(cd $$m && GOWORK=off $(GO) build -o /dev/null ./...) || { echo "$$m does not build outside the workspace"; exit 1; }; \
	done

# The scaffold must produce a module that builds, vets and passes its own
# tests (the conformance suite) on its own, and leave the checkout as it was.
test-scaffold:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	./scripts/new-plugin.sh scaffoldcheck "$$tmp/scaffoldcheck" >/dev/null && \
	(cd "$$tmp/scaffoldcheck" && GOWORK=off $(GO) vet ./... && GOWORK=off $(GO) test -count=1 ./... >/dev/null) && \
	echo "scaffold ok"

proto:
	./scripts/genproto.sh

proto-check:
	./scripts/genproto.sh --check

$(TOOLS)/staticcheck:
	GOBIN=$(TOOLS) GOWORK=off $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

lint: $(TOOLS)/staticcheck
	@set -e; for m in $(MODULES); do \
		echo "== lint $$m"; \
		(cd $$m && test -z "$$(gofmt -l . | grep -v '\.pb\.go$$')" || { gofmt -l . ; exit 1; }; \
		 $(GO) vet ./... && $(TOOLS)/staticcheck ./...); \
	done

bench:
	./scripts/bench.sh

clean:
	rm -rf $(BIN)
