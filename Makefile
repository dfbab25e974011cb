# authbridge — `make help` lists the targets.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/authbridge
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/authbridge/authbridge/host/cli.Version=$(VERSION)
# A release build names the Chrome Web Store item's ID, which every host
# manifest then allows beside the development ID (docs/store-listing.md).
ifneq ($(STORE_EXTENSION_ID),)
LDFLAGS += -X github.com/authbridge/authbridge/manifest.StoreExtensionID=$(STORE_EXTENSION_ID)
endif
PW_DIR := host/e2e/playwright
RUNNER_DIR := runner

.PHONY: pictures jssize certutil cookie-tools test-nocgo test-windows wine release release-test sqlite3 help build demo test test-unit test-e2e test-extension test-node test-runner soak-popup bench deps deps-runner chromium firefox install extension-zip cross vet fmt clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

build: ## build the host binary at bin/authbridge
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./host/cmd/authbridge

chromium: ## install Debian's chromium when it is missing (needs root)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		echo "installing chromium (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

firefox: ## install Debian's firefox-esr when no Firefox is there (needs root)
	@command -v firefox-esr >/dev/null 2>&1 || command -v firefox >/dev/null 2>&1 || { \
		echo "installing firefox-esr (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >/dev/null; }

sqlite3: ## install Debian's sqlite3 when it is missing (needs root): the bench does the app's cookie copy with it, as the app does
	@command -v sqlite3 >/dev/null 2>&1 || { \
		echo "installing sqlite3 (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >/dev/null; }

certutil: ## install Debian's libnss3-tools when certutil is missing (needs root): e2e tests trust their test CA in a test HOME's NSS database
	@command -v certutil >/dev/null 2>&1 || { \
		echo "installing libnss3-tools (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libnss3-tools >/dev/null; }

cookie-tools: ## install Debian's curl, wget and python3 when missing (needs root): e2e tests load authbridge's cookie files with them
	@for tool in curl wget python3; do command -v $$tool >/dev/null 2>&1 || { \
		echo "installing $$tool (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$tool >/dev/null; }; done

.PHONY: xvfb
xvfb: ## install Debian's xvfb and xdotool when missing (needs root): the consent tests accept the browser's permission prompt on a virtual display
	@{ command -v Xvfb >/dev/null 2>&1 && command -v xdotool >/dev/null 2>&1; } || { \
		echo "installing xvfb xdotool (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb xdotool >/dev/null; }

deps: chromium firefox certutil cookie-tools xvfb deps-runner ## everything the tests need: chromium, firefox-esr, certutil, curl, wget, python3, xvfb and xdotool, playwright-core (npm), Go modules
	cd $(PW_DIR) && npm ci --no-audit --no-fund --loglevel=error
	cd host/internal/extpack/testdata/webext && npm ci --no-audit --no-fund --loglevel=error
	$(GO) mod download

deps-runner: ## the drop-in runner's npm dependencies (npm ci in runner/)
	cd $(RUNNER_DIR) && npm ci --no-audit --no-fund --loglevel=error

demo: chromium build ## sign in on the embedded demo site in a throw-away Chromium and show the bridge at work
	./$(BIN) demo

test: deps test-unit jssize test-extension test-node test-runner test-e2e ## run every test (what CI runs)

test-unit: ## Go unit and integration tests, with the race detector
	$(GO) vet ./...
	$(GO) run ./host/internal/funclen
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v /host/e2e)

test-nocgo: ## Go unit tests built without cgo: the pure-Go SQLite driver (modernc) the macOS and arm64 binaries use
	CGO_ENABLED=0 $(GO) test -count=1 $$(CGO_ENABLED=0 $(GO) list ./... | grep -v /host/e2e)

wine: ## install Debian's wine64 and mingw-w64 when missing (needs root): make test-windows runs the Windows tests under Wine
	@{ test -x /usr/lib/wine/wine64 && command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; } || { \
		echo "installing wine64 and gcc-mingw-w64-x86-64 (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wine64 gcc-mingw-w64-x86-64 >/dev/null; }

test-windows: wine ## the Go tests of every package with Windows code, built for windows/amd64 and run under Wine (named pipes, registry)
	build/wine/test-windows.sh

release: ## release archives for linux, macOS (amd64, arm64) and Windows, the extension zip, the Node client tarball and checksums, in bin/release
	build/release.sh

release-test: wine ## check the release archives' contents and run the Linux binary, and the Windows one under Wine
	@command -v unzip >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip >/dev/null; }
	build/release-test.sh

test-extension: ## the extension's pure logic, with node --test
	node --test extension/test/

test-node: build ## the Node client (clients/node) with node --test, against a real agent from bin/authbridge
	AUTHBRIDGE_BIN=$(CURDIR)/$(BIN) node --test clients/node/test/

test-runner: ## the drop-in runner's tests (node --test, real Chromium)
	cd $(RUNNER_DIR) && node --test test/

jssize: ## JavaScript size bounds of the runner, the extension and the Node client: no module over 450 lines, no class or function over 200
	node --test scripts/jssize.test.cjs
	node scripts/jssize.cjs

test-e2e: ## end-to-end tests in real headless Chromium and Firefox ESR with the real extension
	$(GO) test -count=1 -timeout 30m ./host/e2e/

pictures: build ## retake the pictures the docs show (the popup, light and dark, and the report) from real end-to-end runs
	AUTHBRIDGE_UPDATE_PICTURES=1 $(GO) test -count=1 -timeout 30m -run 'TestPopupTwoConnectorsAndBadge|TestEveryReasonThroughTheRealPath' ./host/e2e/

soak-popup: chromium ## run the popup end-to-end flow 50 times in a row (not part of make test)
	CI=1 $(GO) test -count=50 -timeout 60m -run 'TestPopupControlSurface$$' ./host/e2e/

bench: chromium sqlite3 build deps-runner ## print latency, memory and throughput figures against the targets
	$(GO) run ./host/cmd/authbridge-bench

install: build ## install the binary to ~/.local/bin and register it with every browser found
	install -d $(HOME)/.local/bin
	install -m 0755 $(BIN) $(HOME)/.local/bin/authbridge
	$(HOME)/.local/bin/authbridge install
	@echo "Now load the extension: chrome://extensions, Developer mode, Load unpacked: $(CURDIR)/extension"

extension-zip: ## the store packages: bin/authbridge-extension.zip (Chrome Web Store, no key) and bin/authbridge-extension-firefox.zip
	$(GO) run ./host/cmd/authbridge-pack -extension extension -out bin

cross: ## build for Windows (cgo through mingw-w64) and check that the macOS code compiles
	@command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || { \
		echo "installing gcc-mingw-w64-x86-64 (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc-mingw-w64-x86-64 >/dev/null; }
	GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc $(GO) build -ldflags '$(LDFLAGS)' -o bin/windows-amd64/authbridge.exe ./host/cmd/authbridge
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 $(GO) build -o /dev/null ./host/cmd/authbridge
	GOOS=darwin GOARCH=amd64 CGO_ENABLED=0 $(GO) build -o /dev/null ./host/cmd/authbridge
	GOOS=windows $(GO) vet ./...
	GOOS=darwin $(GO) vet ./...
	@echo "cross: bin/windows-amd64/authbridge.exe built; macOS code compiles"

vet: ## go vet for linux, macOS and Windows
	$(GO) vet ./...
	GOOS=darwin $(GO) vet ./...
	GOOS=windows $(GO) vet ./...

fmt: ## gofmt the tree
	gofmt -w $$(git ls-files '*.go')

clean: ## remove build output
	rm -rf bin
