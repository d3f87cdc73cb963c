# Ringdesk: `make run` starts it, `make test` checks it. Go fetches its own
# modules on first use; nothing else needs installing.
GO ?= go
PKGS := ./...

.PHONY: run build test vet fmt bench screenshots clean

run:
	$(GO) run .

build:
	$(GO) build -trimpath -o bin/ringdesk .

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

test: vet
	$(GO) test -count=1 -timeout 15m $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s $(PKGS)

# Refresh the README screenshots (needs Debian's chromium).
screenshots:
	RINGDESK_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run TestScreenshots ./e2e/

clean:
	rm -rf bin
