# JupyterLab with the project's GoNB kernel, the XLA PJRT plugin, the Go
# module cache (MNIST included) and the notebooks, run as a non-root user.
#
#   docker build -t advml .
#   docker build --build-arg PJRT=cuda12 -t advml:cuda .   # CUDA 12 plugin (run with --gpus all, GOMLX_BACKEND=xla:cuda)
#   docker run --rm -p 8888:8888 advml                     # the URL with its token is in the log
#
# The image runs the same setup as the README (make setup), so CI exercises
# every step here except the base image and the apt and useradd lines.
ARG GO_VERSION=1.26.8
FROM golang:${GO_VERSION}-bookworm

# Python for JupyterLab's venv (Debian 12: Python 3.11). Not pinned to exact
# Debian versions: security updates replace them, and a pin would break builds.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv make \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 --shell /bin/bash advml
USER 1000:1000
WORKDIR /home/advml/advml

ARG PJRT=cpu
COPY --chown=1000:1000 . .
# venv with JupyterLab, the PJRT plugin, GoNB + goimports + gopls and the
# kernelspec, the Go modules; then a warm Go build cache for fast first cells.
RUN make setup PJRT=${PJRT} && go build ./... && go clean -testcache

EXPOSE 8888
# Token authentication stays on: set JUPYTER_TOKEN to choose the token.
CMD [".venv/bin/jupyter", "lab", "--no-browser", "--ip=0.0.0.0", "--port=8888", "--ServerApp.root_dir=notebooks"]
