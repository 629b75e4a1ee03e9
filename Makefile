# ekafka — the two commands a new machine needs are `make setup` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# librdkafka is built from source by @confluentinc/kafka-javascript's install step: link it against the
# system's zlib/OpenSSL/zstd/lz4/SASL instead of downloading their sources, and give node-gyp the local
# Node headers instead of letting it download them.
NODE_PREFIX := $(shell dirname "$$(dirname "$$(readlink -f "$$(command -v node)")")")
export CKJS_LINKING := dynamic
export npm_config_nodedir := $(NODE_PREFIX)

DEB_PACKAGES := zlib1g-dev libssl-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev \
                build-essential python3 openjdk-17-jre-headless maven openssl curl
VITEST := node_modules/.bin/vitest
CLUSTER := kafka/cluster.sh
# The interop tests build a Go program against kafka-go: go on the PATH, or the official tarball's place.
GO := $(shell command -v go 2>/dev/null || { [ -x /usr/local/go/bin/go ] && echo /usr/local/go/bin/go; })
# The newest TypeScript on the npm registry, next to the pinned one in node_modules: the package test
# (test/e2e/package.test.ts) builds the README's app with both. Fetched by `make setup`, because the tests
# may run where the registry cannot be reached.
TS_NEWEST := .tools/typescript-newest

.PHONY: help setup deps-debian deps-node deps-kafka deps-go deps-typescript build typecheck lint format docs test test-unit test-e2e test-e2e-run \
        kafka-up kafka-down kafka-status kafka-stop-broker kafka-start-broker kafka-stop-registry kafka-start-registry kafka-reset bench demo soak clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

setup: deps-debian deps-node deps-kafka deps-go deps-typescript ## install everything: Debian packages, npm packages (builds librdkafka), Kafka jars, Go modules, the newest TypeScript
	@echo "setup done: run 'make test'"

deps-debian: ## install the Debian packages the client build and the local cluster need, when missing
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  sudo=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "Debian packages: all present"; fi

deps-node: ## npm ci, building librdkafka from source against the system libraries
	npm ci --no-audit --no-fund
	@node -e "const k=require('@confluentinc/kafka-javascript'); const need=['gzip','snappy','lz4','zstd','ssl','sasl_plain','sasl_scram']; const miss=need.filter(f=>!k.features.includes(f)); if(miss.length){console.error('librdkafka was built without: '+miss.join(', '));process.exit(1)} console.log('librdkafka '+k.librdkafkaVersion+': '+need.join(', '))"

deps-kafka: ## copy the Apache Kafka broker jars from Maven Central into .kafka/libs, and Apicurio Registry into .kafka/registry
	rm -rf .kafka/libs .kafka/registry
	mvn -q -B dependency:copy-dependencies -DoutputDirectory=.kafka/libs -DincludeScope=runtime
	mvn -q -B dependency:unpack@registry
	@echo "kafka jars: $$(ls .kafka/libs | wc -l) in .kafka/libs; registry: $$(ls .kafka/registry/*-runner.jar)"

deps-go: ## download the Go modules of the interop tests' kafka-go program (test/interop/go)
	@if [ -z "$(GO)" ]; then echo "Go is missing: install it from https://go.dev/dl/ (the interop tests build a kafka-go program)"; exit 1; fi
	cd test/interop/go && $(GO) mod download
	@echo "go modules: $$(cd test/interop/go && $(GO) list -m github.com/segmentio/kafka-go)"

# @types/node is installed with it so that npm's cache also holds the newest one: the README's
# `npm install --save-dev typescript @types/node`, which the package test runs, then resolves offline.
# The versions are recorded (exact) in the folder's package.json. Installed next to the old copy and
# swapped in at the end, so a run without registry access keeps the copy there was.
deps-typescript: ## the newest TypeScript (and @types/node) from the npm registry into .tools/typescript-newest, for the package test
	rm -rf $(TS_NEWEST).new
	mkdir -p $(TS_NEWEST).new
	echo '{ "private": true }' > $(TS_NEWEST).new/package.json
	cd $(TS_NEWEST).new && npm install --no-audit --no-fund --save-exact typescript@latest @types/node@latest
	rm -rf $(TS_NEWEST)
	mv $(TS_NEWEST).new $(TS_NEWEST)
	@echo "typescript (newest on the registry): $$(node -p "require('./$(TS_NEWEST)/node_modules/typescript/package.json').version") in $(TS_NEWEST)"

build: ## compile to dist/ (examples run from there)
	node_modules/.bin/tsc -p tsconfig.build.json

typecheck: ## type-check sources, tests, examples and benchmarks
	node_modules/.bin/tsc -p tsconfig.json --noEmit

lint: ## typescript-eslint (type-checked rules, eslint.config.js) and Prettier's check (.prettierrc.json)
	node_modules/.bin/eslint .
	node_modules/.bin/prettier --check --log-level warn .

format: ## rewrite files in Prettier's format, then apply eslint's automatic fixes
	node_modules/.bin/prettier --write --log-level warn .
	node_modules/.bin/eslint --fix .

docs: ## the API reference from the TSDoc comments into docs/api/ (fails on an undocumented export or a broken link); part of make test
	node_modules/.bin/typedoc
	@echo "API reference: docs/api/index.html"

# docs is a check too: TypeDoc treats every warning (an export without TSDoc, a link it cannot resolve) as
# an error, and rendering is what finds links that resolve only to a parameter. test/all.sh runs the unit
# tests and the build, then starts the local cluster and runs both e2e projects, with the checks beside them at nice 19;
# the fault tests (e2e-faults) run at the same time as the e2e project, on a second local cluster in a network
# namespace of their own, where one can be made (else after it, as in test-e2e).
test: ## unit tests, then e2e tests on the local 3-broker cluster, with type-check, lint and API reference beside them
	test/all.sh

# UNIT_ARGS: more vitest options. EKAFKA_UNIT_TEST_TIMEOUT_MS / EKAFKA_UNIT_HOOK_TIMEOUT_MS: the tests' and hooks'
# time limits (5 s / 10 s; make test sets 60 s / 120 s: it runs these at nice 19 beside the e2e tests).
test-unit: ## tests of pure logic (no broker)
	$(VITEST) run --project unit $(UNIT_ARGS)

# Two vitest projects: e2e runs the files that do not stop brokers, several at a time; e2e-faults then
# runs, one at a time, the files that stop brokers, the cluster or the registry (vitest.config.ts says which).
test-e2e: build ## e2e and Go interop tests against the cluster in test/e2e/config/e2e.toml (started locally when it is the local one); ends with each file's time
	@$(MAKE) --no-print-directory test-e2e-run

# test-e2e without the build (make test builds beside the checks). E2E_ARGS narrows it (projects, files).
E2E_ARGS ?= --project e2e --project e2e-faults
test-e2e-run:
	PATH="$(if $(GO),$(dir $(GO)):)$$PATH" $(VITEST) run $(E2E_ARGS) \
	  --reporter=default --reporter=./test/e2e/support/durations-reporter.ts

kafka-up: ## start the local 3-broker cluster and the schema registry on 127.0.0.1:8081 (running ones are reused)
	$(CLUSTER) up

kafka-down: ## stop the local cluster and the registry; no broker or registry process is left
	$(CLUSTER) down

kafka-status: ## which brokers are up, the controller quorum, and the registry
	$(CLUSTER) status

kafka-stop-broker: ## stop one broker: make kafka-stop-broker ID=2
	$(CLUSTER) stop-broker $(ID)

kafka-start-broker: ## start one broker again: make kafka-start-broker ID=2
	$(CLUSTER) start-broker $(ID)

kafka-stop-registry: ## stop the schema registry only (its schemas are kept)
	$(CLUSTER) stop-registry

kafka-start-registry: ## start the schema registry again
	$(CLUSTER) start-registry

kafka-reset: ## stop the cluster and the registry and delete their data
	$(CLUSTER) reset

.PHONY: example
example: ## run one example on the local cluster: make example NAME=producer (started and built first)
	@if [ -z "$(NAME)" ] || [ ! -f "examples/$(NAME)/main.ts" ]; then \
	  echo "usage: make example NAME=<name>, one of: $$(ls examples | tr '\n' ' ')"; exit 2; fi
	@$(CLUSTER) up
	@$(MAKE) --no-print-directory build
	node dist/examples/$(NAME)/main.js

demo: ## a producer and a Consumer Server side by side, one live line a second, the governor on 127.0.0.1:9003 (Ctrl-C; DEMO_SECONDS=N, DEMO_RATE=N)
	@$(CLUSTER) up
	@$(MAKE) --no-print-directory build
	node dist/examples/demo/main.js

bench: ## throughput and latency vs raw librdkafka, KafkaJS and Kafka's own producer (~10-13 min); writes BENCHMARKS.md
	@$(CLUSTER) up
	@$(MAKE) --no-print-directory build
	node dist/bench/main.js

soak: ## a producer and a Consumer Server at a steady rate for 10 min, watching memory and handles (SOAK_SECONDS=N, SOAK_RATE=N); not part of make test
	@$(CLUSTER) up
	@$(MAKE) --no-print-directory build
	node_modules/.bin/tsc -p test/soak/tsconfig.json
	node --expose-gc dist/test/soak/soak.js

clean: ## remove build output and the generated API reference
	rm -rf dist docs/api
