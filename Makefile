# gospark: the README's commands.
#   make test   installs what the tests need and runs every level (unit,
#               local processes, the driver's UI in a browser, and the real
#               single-node cluster: e2e)
#   make bench  runs the benchmarks against the hand-written baseline
#   make bench-scale  the scale figures (bench/scale.sh) on the test cluster

GO ?= go
SHARED ?= ../shared

# One build configuration for every step (build, vet, tests, the cluster's
# images, which must be static and reproducible): a cold run then compiles
# each package once instead of once per configuration.
export CGO_ENABLED = 0
export GOFLAGS = -trimpath

.PHONY: test deps python-deps vet unit bench bench-scale build browser-deps browser cluster-deps cluster-bin cluster-up cluster-down e2e

# browser before e2e: it takes a minute or two, e2e twenty.
test: deps vet unit browser e2e

# Everything the tests need comes from the Go module proxy.
deps:
	$(GO) mod download
	$(GO) build ./...

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

# Python applications (issue 17): the pyspark package's tests and the
# Python examples need python3 with cloudpickle; the Python image
# (gospark image build --python, made by hack/cluster) is built from the same
# Debian packages, fetched with apt-get download and dpkg-deb, so apt's package
# lists must be there.
PYTHON_PKGS = python3 python3-cloudpickle

python-deps:
	@missing=; for p in $(PYTHON_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

unit: python-deps
	$(GO) test -count=1 -timeout 30m ./...

build:
	$(GO) build -o bin/gospark ./cmd/gospark

bench:
	$(GO) run ./bench/run -shared $(SHARED) -out BENCHMARKS.md

# Submissions, executor pods (real node and fake nodes) and tasks at scale;
# SCALE_STEPS="tasks submit node fake" picks steps. Brings the cluster up
# when absent and down after.
bench-scale: cluster-deps cluster-bin
	GO=$(GO) KUBE_BIN=$(KUBE_BIN) bash bench/scale.sh

# The driver's web UI in a real browser (test/browser, build tag browser):
# Debian's chromium, headless. The test fails without chromium when CI is set.
BROWSER_PKGS = chromium

browser-deps:
	@missing=; for p in $(BROWSER_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

browser: browser-deps
	$(GO) vet -tags browser ./test/browser/...
	$(GO) test -tags browser -count=1 -v -timeout 15m ./test/browser/...

# A real single-node Kubernetes (hack/cluster): Debian packages, binaries
# built from the Go module proxy into KUBE_BIN (cached), state in .cluster/.
KUBE_BIN ?= $(HOME)/.cache/gospark/kube-v1.34.12/bin
CLUSTER_PKGS = etcd-server containerd runc containernetworking-plugins iptables iproute2 conntrack

cluster-deps: python-deps
	@missing=; for p in $(CLUSTER_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

cluster-bin:
	bash hack/build-kube.sh $(KUBE_BIN)

# FAKE_NODES=N also starts hack/fakenodes: N nodes that exist only in the
# API server (kwok-like, for scale tests); none by default.
FAKE_NODES ?= 0

cluster-up: cluster-deps cluster-bin
	$(GO) run ./hack/cluster up -bin $(KUBE_BIN) -fake-nodes $(FAKE_NODES)

cluster-down:
	$(GO) run ./hack/cluster down -bin $(KUBE_BIN)

# The tests that need the cluster: brought up when absent, taken down after
# (and checked to leave nothing behind).
e2e: cluster-deps cluster-bin
	@started=; \
	if ! $(GO) run ./hack/cluster check -bin $(KUBE_BIN) >/dev/null 2>&1; then \
		$(GO) run ./hack/cluster up -bin $(KUBE_BIN) || exit 1; started=1; \
	else \
		$(GO) run ./hack/cluster images -bin $(KUBE_BIN) || exit 1; \
	fi; \
	status=0; \
	KUBECONFIG=$(CURDIR)/.cluster/kubeconfig GOSPARK_KUBE_BIN=$(KUBE_BIN) $(GO) test -tags e2e -count=1 -timeout 40m ./test/e2e/ || status=1; \
	if [ -n "$$started" ]; then \
		$(GO) run ./hack/cluster down -bin $(KUBE_BIN) || status=1; \
		GOSPARK_CLUSTER_DOWN=1 $(GO) test -tags e2e -count=1 -run TestDownLeftNothing ./hack/cluster || status=1; \
	fi; \
	exit $$status
