# orgiam — common tasks. `make test` is what CI runs.
GO ?= go
LAMBDA_ARCH ?= arm64

.PHONY: test vet fmt-check build demo lambda bench bench-reporthtml deps fuzz faults

# The tools the tests use beyond Go: the npm packages under deploy/ (ASL
# validator, local Step Functions interpreter, a Node 22 binary), the
# evaluator's test oracle (@cloud-copilot/iam-simulate, run as a separate
# process) and playwright-core for the dashboard's browser test (Chromium
# itself comes from Debian's chromium package, installed by .ci/run).
deps:
	@if [ -f deploy/package.json ]; then npm ci --prefix deploy --no-audit --no-fund --loglevel=error; fi
	npm ci --prefix internal/evaluate/testdata/oracle --no-audit --no-fund --loglevel=error
	npm ci --prefix internal/web/testdata/e2e --no-audit --no-fund --loglevel=error

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

test: deps fmt-check vet
	$(GO) test -race -timeout 30m ./...

build:
	CGO_ENABLED=0 $(GO) build -o orgiam ./cmd/orgiam

demo:
	$(GO) run ./cmd/orgiam demo

# One bootstrap binary for the provided.al2023 runtime, zipped for Lambda.
lambda:
	mkdir -p dist/lambda
	CGO_ENABLED=0 GOOS=linux GOARCH=$(LAMBDA_ARCH) $(GO) build -tags lambda.norpc -trimpath -ldflags "-s -w" -o dist/lambda/bootstrap ./cmd/orgiam-lambda
	cd dist/lambda && rm -f ../orgiam-lambda.zip && \
	  if command -v zip >/dev/null; then zip -q -X ../orgiam-lambda.zip bootstrap; else python3 -m zipfile -c ../orgiam-lambda.zip bootstrap; fi
	@echo "dist/orgiam-lambda.zip"

bench:
	$(GO) run ./bench/collect
	$(GO) run ./bench/index
	$(GO) run ./bench/pipeline
	$(GO) run ./bench/web

# The HTML reports in headless Chromium (needs the chromium package and
# `make deps`): writes findings.html and users.html of 50,000 rows each, then
# bench/reporthtml/measure.mjs times sorts, filters and search in the page.
bench-reporthtml:
	$(GO) run ./bench/reporthtml

# Each fuzz target for a few seconds (CI runs this after the tests; longer:
# make fuzz FUZZTIME=1000000x). The budget is a count of executions (about 2
# to 5 s each here), not a duration: with a duration, Go 1.26's fuzzing
# coordinator can report its own deadline as a failure ("context deadline
# exceeded", no failing input written; golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 30000x
FUZZ_TARGETS = FuzzParseCredentialReport:./internal/snapshot FuzzConfigFile:./internal/config \
  FuzzParseURL:./internal/store FuzzParseMatchesV1:./internal/policy FuzzMatch:./internal/policy
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  name=$${t%%:*}; pkg=$${t#*:}; echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
	  $(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg; \
	done

# The fault suite (also part of `make test`), with its figures written to
# bench/results/faults.json.
faults:
	FAULTS_OUT=$(CURDIR)/bench/results/faults.json $(GO) test -count=1 -timeout 30m -run '^TestFaultSuite$$' ./internal/cli
	@cat bench/results/faults.json
