# The project's vocabulary: run, test, bench, build, lint.
GO      ?= go
BENCH   ?=
PKGS    ?= ./...

.PHONY: run build test test-clocks bench lint openapi web

## run: everything on this machine (local PostgreSQL under .data/, demo tenant, API, workers)
run: web
	$(GO) run ./cmd/outcall dev

## build: the outcall binary in bin/
build: web
	$(GO) build -o bin/outcall ./cmd/outcall

## test: vet, formatting, and every test against a real PostgreSQL (then the database tests again at awkward
## moments of PostgreSQL's clock); the portal's unit tests and its end-to-end test in Chromium
## (tests marked parallel spend their time waiting on calls in real time, not on the CPU: six at once)
test: lint web
	$(GO) test -p 2 -parallel 6 -timeout 25m $(PKGS)
	$(MAKE) test-clocks
	cd web && npm test && npm run e2e

## test-clocks: the database tests again with PostgreSQL's clock at the next awkward moments (a Sunday 23:59 in
## Shanghai, a month end, the night Los Angeles springs forward), so no code or test mixes two clocks
CLOCKS      ?= sunday-night-shanghai month-end-shanghai la-spring-forward
CLOCK_PKGS  ?= ./campaigns ./contacts ./reports ./billing ./webhooks ./tenants ./api ./jobs ./calls ./scripting ./tenants/admin
test-clocks: web/dist
	@if ! ls /usr/lib/*/faketime/libfaketimeMT.so.1 >/dev/null 2>&1; then \
	  echo "test-clocks: skipped, libfaketime is not installed (apt-get install libfaketime; .ci/run installs it)"; exit 0; fi; \
	for at in $(CLOCKS); do echo "== PostgreSQL's clock at $$at"; \
	  OUTCALL_TEST_DB_CLOCK=$$at $(GO) test -p 2 -parallel 6 -count=1 -timeout 15m $(CLOCK_PKGS) || exit 1; done

## web: the portal, built into web/dist for the binary to embed (npm ci when the lockfile changes)
web: web/node_modules/.package-lock.json
	cd web && npm run build

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund

## bench: performance figures as "bench: NAME VALUE UNIT" lines; BENCH=GROUP runs one group
bench: web/dist
	@$(GO) run ./cmd/outcall bench $(BENCH)

## web/dist: the Go package web embeds this folder; an empty one (a .keep marker) serves until `make web` builds the portal
web/dist:
	mkdir -p web/dist && touch web/dist/.keep

## lint: go vet and gofmt
lint: web/dist
	$(GO) vet $(PKGS)
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi

## openapi: write api/openapi.yaml and the typed Go client from the code (tests fail when they drift)
openapi: web/dist
	$(GO) run ./cmd/outcall openapi -o api/openapi.yaml
	cd api/client && $(GO) generate ./...
