# LineraDB build, test and run targets. `make test` is what CI runs.
GO      ?= go
SEEDS   ?= 1000
PKGS    := ./...

.PHONY: build run test sim bench fmt lint vet fuzz-short

# Fuzz targets and their packages; `make test` gives each a short run
# (FUZZTIME) on top of replaying its checked-in corpus as a unit test.
FUZZ_TARGETS := FuzzDecodeFrame:./netio FuzzHandshake:./netio FuzzDecode:./raft \
	FuzzMessageDecoder:./sql/pgwire FuzzSQL:./sql FuzzLoadFile:./internal/config
FUZZTIME ?= 5s

build:
	$(GO) build $(PKGS)
	$(GO) build -o bin/ ./cmd/...

# A single-node cluster that bootstraps itself, data under ./data:
# psql -h localhost -p 5432 -U admin; curl localhost:8080/status.
run:
	$(GO) run ./cmd/lineradb-server --data-dir=./data

# vet + gofmt + every package's tests (the determinism lint, property tests,
# TestDeterminism, the real-process integration tests), with the expensive
# invariant checks compiled in; then 200 seeds each of the Raft and the
# whole-database simulation campaigns.
test: lint
	$(GO) test -tags invariants -count=1 -timeout 20m $(PKGS)
	@# Allocation checks are meaningless with the invariant checks compiled in.
	$(GO) test -count=1 -run 'DoesNotAllocate' ./raft/
	$(GO) test -tags invariants -count=1 -timeout 10m ./sim -run '^TestRaft$$' -seeds=200
	$(GO) test -tags invariants -count=1 -timeout 10m ./sim -run '^TestSim$$' -seeds=200
	$(GO) test -tags invariants -count=1 -timeout 10m ./sim -run '^TestSQL$$' -seeds=50
	$(MAKE) --no-print-directory fuzz-short

fuzz-short:
	@for t in $(FUZZ_TARGETS); do \
		name=$${t%%:*}; pkg=$${t#*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

# A long campaign: make sim SEEDS=10000
sim:
	$(GO) test -tags invariants -count=1 -timeout 0 ./sim -run '^(TestSim|TestSQL|TestRaft|TestToy)$$' -seeds=$(SEEDS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
	@if [ -f bench/go.mod ]; then cd bench && $(GO) test -run '^$$' -bench . -benchmem ./...; fi

fmt:
	gofmt -w $$(git ls-files '*.go')

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '/testdata/')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)
