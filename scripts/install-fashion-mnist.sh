#!/usr/bin/env bash
# Installs Fashion-MNIST from Debian's dataset-fashion-mnist package
# (bookworm/main, about 30 MB) if its files are missing; pkg/mnist verifies
# their checksums when it reads them. Uses sudo when not root.
set -euo pipefail
dir=/usr/share/datasets/fashion-mnist
if [ -f "$dir/train-images-idx3-ubyte.gz" ] && [ -f "$dir/t10k-labels-idx1-ubyte.gz" ]; then
  exit 0
fi
exec "$(dirname "$0")/apt-install.sh" dataset-fashion-mnist "put Fashion-MNIST's four files in a folder and pass it as mnist.Options.Dir"
