# The project's vocabulary: run, test, bench, build, lint.
GO      ?= go
BENCH   ?=
PKGS    ?= ./...

.PHONY: run build test bench lint openapi

## run: everything on this machine (local PostgreSQL under .data/, demo tenant, API, workers)
run:
	$(GO) run ./cmd/outcall dev

## build: the outcall binary in bin/
build:
	$(GO) build -o bin/outcall ./cmd/outcall

## test: vet, formatting, and every test against a real PostgreSQL
test: lint
	$(GO) test -p 2 -timeout 25m $(PKGS)

## bench: performance figures as "bench: NAME VALUE UNIT" lines; BENCH=GROUP runs one group
bench:
	@$(GO) run ./cmd/outcall bench $(BENCH)

## lint: go vet and gofmt
lint:
	$(GO) vet $(PKGS)
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi

## openapi: write api/openapi.yaml and the typed Go client from the code (tests fail when they drift)
openapi:
	$(GO) run ./cmd/outcall openapi -o api/openapi.yaml
	cd api/client && $(GO) generate ./...
