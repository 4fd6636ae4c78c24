# orgiam — common tasks. `make test` is what CI runs.
GO ?= go
LAMBDA_ARCH ?= arm64

.PHONY: test vet fmt-check build demo lambda bench deps

# The tools the tests use beyond Go: the npm packages under deploy/ (ASL
# validator, local Step Functions interpreter, a Node 22 binary) and
# playwright-core for the dashboard's browser test (Chromium itself comes from
# Debian's chromium package, installed by .ci/run).
deps:
	@if [ -f deploy/package.json ]; then npm ci --prefix deploy --no-audit --no-fund --loglevel=error; fi
	@if [ -f internal/web/testdata/e2e/package.json ]; then npm ci --prefix internal/web/testdata/e2e --no-audit --no-fund --loglevel=error; fi

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
	$(GO) run ./bench/web
