# microcloud: the two commands a user needs are `make run` and `make test`.
NODE_MODULES := node_modules/.package-lock.json
DEMO := demo/demo.pcap

.PHONY: all deps build test run demo bench clean

all: build

deps:
	bash tools/install-system-deps.sh

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# The live-capture module needs libpcap-dev (installed by `make deps`); without
# it everything else still builds and --interface says what is missing.
build: $(NODE_MODULES)
	npx tsc -p tsconfig.json
	@npm run --silent build:native >native/build.log 2>&1 || echo "note: live capture not built (needs libpcap-dev; see native/build.log)"

$(DEMO): build
	@mkdir -p demo
	node dist/test/gen/demo-capture.js $(DEMO)

demo: $(DEMO)

# The probe on the bundled demo capture, serving RESP on 127.0.0.1:6380.
run: build $(DEMO)
	node dist/cli/main.js probe --pcap $(DEMO) --realtime --loop

# Everything a fresh Debian machine needs, then the whole suite.
# tap skips dist/ when it looks for tests itself, so name the compiled files.
# The latency test runs alone, after the rest, so no other test competes for the CPU.
test: deps build
	npx tap $$(ls dist/test/*.test.js | grep -v latency)
	npx tap dist/test/kb-latency.test.js

bench: deps build
	node dist/bench/throughput.js

clean:
	rm -rf dist .tap demo/*.pcap native/build native/build.log
