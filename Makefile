# advml: adversarial ML from scratch, in Go notebooks.
#
#   make reproduce   set up (venv, XLA plugin, Go modules), train, attack, write figures, print JSON
#   make test        every test: Go packages on XLA
#
# Everything installs into the project folder: .venv (Python), .pjrt (the
# XLA PJRT plugin), and Go's module cache.

SHELL := /bin/bash
PJRT ?= cpu
GO ?= go
PYTHON ?= python3
VENV := .venv
GOTEST_FLAGS ?= -count=1 -timeout 30m

.PHONY: setup plugin go-modules reproduce test test-go clean

setup: plugin go-modules

# The XLA PJRT plugin from a hash-pinned PyPI wheel (PJRT=cuda12 for NVIDIA GPUs).
plugin:
	PYTHON=$(PYTHON) scripts/install-pjrt.sh $(PJRT)

go-modules:
	$(GO) mod download

reproduce: setup
	$(GO) run ./cmd/reproduce $(ARGS)

test: setup test-go

test-go:
	$(GO) vet ./...
	$(GO) test $(GOTEST_FLAGS) ./...

clean:
	rm -rf out
