# advml: adversarial ML from scratch, in Go notebooks.
#
#   make lab         set everything up, then open JupyterLab on notebooks/
#   make test        every test: Go packages on XLA, the notebooks, the browser test
#   make reproduce   the article headless: train, attack, figures, JSON summary
#   make robust      adversarial training of the robust model, AutoAttack on 10,000 test images, JSON summary (hours)
#   make certify     the shipped certified model: certified, AutoAttack and clean accuracy on 10,000 test images, JSON
#   make blackbox    the black-box attacks against the white-box ones, JSON summary
#   make notebooks   re-execute the notebooks in place (their committed outputs)
#   make run NB=…    run one notebook of your own headless, its outputs written back
#   make bench       benchmarks against Keras/TensorFlow on the same machine (about 10 minutes)
#   make crosscheck  the attacks against Foolbox, bounds against auto_LiRPA, AutoAttack against torchattacks
#   make finetune    the imported PyTorch model fine-tuned against PGD, written back as ONNX, checked by onnxruntime
#   make profile     a training step and a batch Jacobian split into their operations, timed
#   make docker-test build the Docker image without a registry and run the tutorial inside it
#   make fashion-mnist  install Fashion-MNIST (-data fashion) from Debian's package, with apt
#   make lock        re-resolve requirements.txt from requirements.in for every supported Python
#   make lock-torch  re-resolve bench/torch-requirements.txt (the PyTorch references of make crosscheck, Python 3.10)
#
# Everything installs into the project folder: .venv (Python, JupyterLab, the
# GoNB kernel and its tools), .pjrt (the XLA PJRT plugin), and Go's module
# cache. Only the browser test's Chromium comes from apt.

SHELL := /bin/bash
PJRT ?= cpu
GO ?= go
# The Python that makes the venvs: unset, scripts/venv.sh finds a supported one.
PYTHON ?=
export PYTHON
# The Python environment: a venv made here, or an existing (conda) prefix.
VENV ?= $(CURDIR)/.venv
export VENV
LAB_PORT ?= 8888
GOTEST_FLAGS ?= -count=1 -timeout 30m

.PHONY: setup python lock lock-torch plugin kernel lab-config go-modules chromium fashion-mnist finetune lab notebooks run reproduce robust certify blackbox bench crosscheck profile docker-test test lint test-go test-notebooks clean

setup: python plugin kernel lab-config go-modules

# Python side: the venv with JupyterLab, nbclient, Playwright, pytest (pinned).
python: $(VENV)/.requirements-installed
$(VENV)/.requirements-installed: requirements.txt scripts/venv.sh
	scripts/venv.sh
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.txt
	@echo "Python: $$($(VENV)/bin/python -c 'import sys; print(sys.version.split()[0], "in", sys.prefix)')"
	touch $@

# requirements.txt from requirements.in: one universal lock, hash-pinned, that
# holds on every supported Python (tests/test_lock.py checks each).
lock: python
	$(VENV)/bin/uv pip compile --universal --python-version $(firstword $(shell scripts/venv.sh --supported)) \
		--generate-hashes --custom-compile-command "make lock" requirements.in -o requirements.txt

# The XLA PJRT plugin from a hash-pinned PyPI wheel (PJRT=cuda12 for NVIDIA GPUs).
plugin:
	scripts/install-pjrt.sh $(PJRT)

# GoNB, goimports and gopls (kernel/go.mod) and the "gonb" kernelspec in the venv.
kernel: python
	kernel/install.sh

# The project's JupyterLab configuration (jupyter/), in the venv's folders: the
# kernel's state shows on opening; no outbound requests (news, update checks).
lab-config: python
	install -D -m 644 jupyter/jupyter_server_config.py $(VENV)/etc/jupyter/jupyter_server_config.py
	install -D -m 644 jupyter/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json

# The modules, then the library compiled once: the first notebook cell and
# make test start from a warm build cache.
go-modules:
	$(GO) mod download
	$(GO) build ./...

chromium:
	scripts/install-chromium.sh

# Fashion-MNIST, the second data set (-data fashion), from Debian's package.
fashion-mnist:
	scripts/install-fashion-mnist.sh

# JupyterLab on loopback with token authentication (the URL with the token is printed).
lab: setup
	$(VENV)/bin/jupyter lab --no-browser --ip=127.0.0.1 --port=$(LAB_PORT) --ServerApp.root_dir=notebooks \
		$(if $(filter 0,$(shell id -u)),--allow-root)

notebooks: setup
	$(VENV)/bin/python tests/nbrun.py --in-place --project

# One notebook of your own, headless, its outputs written back: make run NB=notebooks/mine.ipynb
run: setup
	@test -n "$(NB)" || { echo "make run: name the notebook: make run NB=notebooks/mine.ipynb"; exit 2; }
	$(VENV)/bin/python tests/nbrun.py --in-place $(NB)

reproduce: setup
	$(GO) run ./cmd/reproduce $(ARGS)

robust: setup
	$(GO) run ./cmd/robust $(ARGS)

# The shipped certified model (checkpoints/certified) evaluated without
# training: CROWN-IBP's certified accuracy and AutoAttack on the images the
# bounds leave, at ε = 0.3 on the 10,000 test images (about 6 minutes on
# two cores beside another job; ARGS="-n 1000" for the first 1,000).
certify: setup
	$(GO) run ./cmd/robust -load -robust-only -checkpoint checkpoints/certified $(ARGS)

blackbox: setup
	$(GO) run ./cmd/blackbox $(ARGS)

# A training step and a Jacobian split by operation (bench/profile_test.go), beside the whole ones.
profile: setup
	$(GO) test ./bench -run '^$$' -bench 'Profile|TrainStep|Jacobian' -benchtime 100x
	@echo "# The same with oneDNN's convolutions and matrix products (GOMLX_BACKEND=xla:cpu,onednn):"
	GOMLX_BACKEND=xla:cpu,onednn $(GO) test ./bench -run '^$$' -bench 'Profile|TrainStep|Jacobian' -benchtime 100x
	@echo "# Training steps with each batch split over 2 CPU devices (BENCH_DEVICES=2), default routing then oneDNN:"
	BENCH_DEVICES=2 $(GO) test ./bench -run '^$$' -bench 'TrainStep' -benchtime 100x
	BENCH_DEVICES=2 GOMLX_BACKEND=xla:cpu,onednn $(GO) test ./bench -run '^$$' -bench 'TrainStep' -benchtime 100x

# The reference stack (TensorFlow for CPU) lives in its own venv, for benchmarks only.
BENCH_VENV ?= $(CURDIR)/.venv-bench
export BENCH_VENV
# The PyTorch references (auto_LiRPA, torchattacks): torch 1.12.1 has wheels up to Python 3.10 only.
# Its Python 3.10: TORCH_PYTHON, or the one scripts/torch-venv.sh finds.
TORCH_VENV ?= $(CURDIR)/.venv-torch
export TORCH_PYTHON
bench: setup $(BENCH_VENV)/.requirements-installed $(TORCH_VENV)/.requirements-installed
	$(VENV)/bin/python bench/run.py
# The attacks against Foolbox 3.3.4 on the same weights (in the benchmark's venv):
# a table, then one JSON line; fails when an agreement is not met.
# Then the interval bounds against auto_LiRPA 0.3 and AutoAttack against
# torchattacks 3.5.1 (PyTorch 1.12, so Python 3.10, in .venv-torch), and
# the imported PyTorch model (models/mnist_torch.onnx) attacked by us through
# ONNX and by torchattacks on the PyTorch network (PGD, AutoAttack's
# components), also failing when they disagree.
crosscheck: setup $(BENCH_VENV)/.requirements-installed $(TORCH_VENV)/.requirements-installed
	$(GO) run ./bench/crosscheck -prepare -out out/crosscheck
	$(BENCH_VENV)/bin/python bench/foolbox_reference.py --export out/crosscheck/export.json --out out/crosscheck
	$(GO) run ./bench/crosscheck -out out/crosscheck
	$(GO) run ./bench/torchcheck -prepare -out out/crosscheck
	$(TORCH_VENV)/bin/python bench/torch_reference.py --export out/crosscheck/torch-export.json --out out/crosscheck
	$(GO) run ./bench/torchcheck -out out/crosscheck

# Robust fine-tuning of the imported PyTorch model (advml finetune: PGD at
# ε 0.1, 3 epochs on MNIST's training images), written back as ONNX; then
# onnxruntime's logits on the written file against ours (fails past 1e-5).
finetune: setup $(TORCH_VENV)/.requirements-installed
	mkdir -p out/finetune
	$(GO) run ./cmd/advml finetune -model models/mnist_torch.onnx -mean 0.1307 -std 0.3081 -data mnist -eps 0.1 \
		-out out/finetune/mnist_torch_pgd.onnx -check out/finetune/check.json $(ARGS)
	$(TORCH_VENV)/bin/python bench/onnxruntime_check.py out/finetune/check.json

$(TORCH_VENV)/.requirements-installed: bench/torch-requirements.txt scripts/torch-venv.sh
	TORCH_VENV=$(TORCH_VENV) scripts/torch-venv.sh
	touch $@
lock-torch: python
	$(VENV)/bin/uv pip compile --python-version 3.10 --python-platform x86_64-manylinux_2_28 --generate-hashes \
		--custom-compile-command "make lock-torch" bench/torch-requirements.in -o bench/torch-requirements.txt

$(BENCH_VENV)/.requirements-installed: bench/requirements.txt
	VENV=$(BENCH_VENV) scripts/venv.sh
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	touch $@

# The Go tests and the notebook tests run side by side: each leaves part of
# the two cores idle (the Go half waits on XLA's compiles, the notebook half
# on kernels and the browser), so together they take less than one after
# the other. Every line they print starts with the half's name.
test: setup chromium fashion-mnist lint
	$(MAKE) --no-print-directory -j2 PREFIX_OUTPUT=1 test-go test-notebooks

# The Docker image built and run without a container registry: the base image
# rebuilt locally (debootstrap + Go from the proxy), the Dockerfile built with
# buildah, JupyterLab and the tutorial checked inside (scripts/docker-test.sh;
# as root; 6 minutes on a quiet 2-core machine once the base image is kept,
# 27 minutes under load with the base rebuilt).
docker-test:
	scripts/docker-test.sh

lint:
	$(VENV)/bin/hadolint Dockerfile

# $(call prefixed,NAME,COMMANDS): COMMANDS, each line of their output
# prefixed with NAME when PREFIX_OUTPUT is set; the exit status is theirs.
prefixed = $(if $(PREFIX_OUTPUT),set -o pipefail; ( $(2) ) 2>&1 | sed -u 's/^/$(1) | /',$(2))

test-go:
	$(call prefixed,go       ,$(GO) vet ./... && $(GO) test $(GOTEST_FLAGS) ./...)

test-notebooks:
	$(call prefixed,notebooks,$(VENV)/bin/python -m pytest -v --durations=15 tests)

clean:
	rm -rf out
