#!/usr/bin/env bash
# apt-install.sh PACKAGE WHAT: installs a Debian package with apt (sudo when
# not root), for the scripts that install what the project needs from
# Debian (install-chromium.sh, install-fashion-mnist.sh). WHAT says, when
# there is no apt-get, what to do instead.
set -euo pipefail
package="$1" what="$2"
if ! command -v apt-get >/dev/null; then
  echo "apt-install.sh: no apt-get to install $package: $what" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q --no-install-recommends "$package" 2>/dev/null || {
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "$package"
}
