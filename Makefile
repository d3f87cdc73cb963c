# Ringdesk: `make run` starts it, `make test` checks it. Go fetches its own
# modules on first use; npm fetches the browser calling SDKs (vendor).
GO ?= go
PKGS := ./...

.PHONY: run build test vet fmt bench screenshots clean vendor

# Browser SDKs pinned in package-lock.json, copied into public/vendor, which
# the binary embeds.
vendor:
	bash scripts/vendor.sh

run: vendor
	$(GO) run .

build: vendor
	$(GO) build -trimpath -o bin/ringdesk .

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

test: vendor vet
	$(GO) test -count=1 -timeout 15m $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s $(PKGS)

# Refresh the README screenshots (needs Debian's chromium).
screenshots: vendor
	RINGDESK_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run TestScreenshots ./e2e/

clean:
	rm -rf bin node_modules
	find public/vendor -mindepth 1 ! -name .gitkeep -delete
