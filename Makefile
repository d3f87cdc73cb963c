# Ringdesk: `make run` starts it, `make test` checks it. Go fetches its own
# modules on first use; npm fetches the browser calling SDKs (vendor).
GO ?= go
PKGS := ./...

.PHONY: run build test vet fmt bench loadtest screenshots clean vendor

# Browser SDKs pinned in package-lock.json, copied into public/vendor, which
# the binary embeds.
vendor:
	bash scripts/vendor.sh

run: vendor
	@echo "Compiling Ringdesk: the first time takes a minute or two (Go builds every module once), then it starts."
	$(GO) run .

build: vendor
	$(GO) build -trimpath -o bin/ringdesk .

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

# `go test` hides a skipped test's reason, so say here, in one line, when
# the browser journeys (e2e/) will be skipped for want of Chromium (under
# CI=true they fail instead).
test: vendor vet
	@command -v "$${CHROMIUM:-/usr/bin/chromium}" >/dev/null || \
	  echo "make test: browser journeys SKIPPED: no Chromium at $${CHROMIUM:-/usr/bin/chromium} (apt-get install chromium, or set CHROMIUM to its path)"
	$(GO) test -count=1 -timeout 15m $(PKGS)

# Every benchmark, paced for a 2-core box (several minutes: the 100,000-
# ticket cases seed their data first); each line's figures sit next to the
# bare operation measured in the same run.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1s ./models/sqlite/
	$(GO) test -run '^$$' -bench 'ConnectCall|Token|CreateTicket' -benchmem -benchtime 2s ./handlers/
	$(GO) test -run '^$$' -bench Dashboard -benchmem -benchtime 2s ./handlers/
	$(GO) test -run '^$$' -bench CallsCSV -benchmem -benchtime 3x ./handlers/
	$(GO) test -run '^$$' -bench EchoLatency -benchtime 5s ./handlers/
	$(GO) test -run '^$$' -bench Startup -benchtime 3x .

# Load and fault tests against a real server on loopback (CI runs the small
# scale from `make test`); prints a table, fails if any check fails.
loadtest: vendor
	$(GO) run ./cmd/loadtest -scale full

# Refresh the README screenshots (needs Debian's chromium).
screenshots: vendor
	RINGDESK_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run TestScreenshots ./e2e/

clean:
	rm -rf bin node_modules
	find public/vendor -mindepth 1 ! -name .gitkeep -delete
