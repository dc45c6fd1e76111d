# gospark: the README's commands.
#   make test   installs what the tests need and runs every level
#   make bench  runs the benchmarks against the hand-written baseline

GO ?= go
SHARED ?= ../shared

.PHONY: test deps vet unit bench build

test: deps vet unit

# Everything the tests need comes from the Go module proxy.
deps:
	$(GO) mod download
	$(GO) build ./...

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -count=1 -timeout 30m ./...

build:
	$(GO) build -o bin/gospark ./cmd/gospark

bench:
	$(GO) run ./bench/run -shared $(SHARED) -out BENCHMARKS.md
