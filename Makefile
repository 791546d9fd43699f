# bucketaudit — developer tasks. `make test` is what CI runs (.ci/run).
GO      ?= go
BIN     := bin/bucketaudit
PKGS    := ./...
FUZZTIME ?= 5s
# Tests never ask an EC2 instance-metadata endpoint for credentials.
export AWS_EC2_METADATA_DISABLED := true

.PHONY: all build test unit fuzz bench bench-scan demo lint generate clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/bucketaudit

## test: vet, unit + end-to-end tests under the race detector (incl. differential, AWS CLI and
## moto tests when their tools exist; with CI=true they must exist), short fuzzing
test: build
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 15m $(PKGS)
	$(MAKE) fuzz

## fuzz: run every fuzz target briefly (FUZZTIME each). Go 1.26's fuzz coordinator can fail a
## target with a bare "context deadline exceeded" at the -fuzztime boundary without any failing
## input (golang/go#75804, fixed in Go 1.27): such a run, which wrote no input under
## testdata/fuzz, is run again (3 tries); a failing input, or any other failure, fails.
fuzz:
	@set -e; for spec in $$($(GO) run ./internal/tools/fuzztargets); do \
		pkg=$${spec%%:*}; fn=$${spec##*:}; out=$$(mktemp); \
		for try in 1 2 3; do \
			echo "fuzz $$pkg $$fn"; \
			rc=0; $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg >$$out 2>&1 || rc=$$?; cat $$out; \
			[ $$rc -ne 0 ] || break; \
			if [ $$try -lt 3 ] && grep -q 'context deadline exceeded' $$out && ! grep -q 'Failing input written' $$out; then \
				echo "fuzz $$pkg $$fn: the fuzz coordinator's deadline race (golang/go#75804), no failing input: again"; \
			else rm -f $$out; exit 1; fi; \
		done; \
		rm -f $$out; \
	done

## bench: every Go benchmark
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## bench-scan: whole scan against fakeaws: synthetic:accounts=60,buckets=25 --latency 25ms with
## concurrency.requests 64 (wall time, API calls, calls per bucket, connections, in flight, bound,
## ratio, CPU µs per API call of the scan process and of the emulator in the scan's window), the
## matrix 25/100 ms latency x 64/256 requests in flight (fewer accounts at 100 ms / 64), then the
## peak RSS of a 5,000-bucket scan (200 accounts x 25 buckets, 2ms latency). Profiles:
## -cpuprofile FILE (the emulator), -scan-env BUCKETAUDIT_CPUPROFILE=FILE (the scan process);
## -timeline prints the requests in flight every 100 ms
BENCH_MATRIX ?= 25ms/64/60,25ms/256/60,100ms/64/16,100ms/256/60
bench-scan: build
	$(GO) run ./scanner/internal/benchscan -bin $(BIN)
	$(GO) run ./scanner/internal/benchscan -bin $(BIN) -matrix $(BENCH_MATRIX)
	$(GO) run ./scanner/internal/benchscan -bin $(BIN) -accounts 199 -buckets 25 -latency 2ms

demo: build
	./$(BIN) demo

lint: build
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

generate:
	$(GO) generate $(PKGS)

clean:
	rm -rf bin bucketaudit-demo
