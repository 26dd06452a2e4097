#!/usr/bin/env bash
# make docker-test: builds the project's Dockerfile and runs the image, on a
# machine that reaches Debian's archive, PyPI and the Go proxy but no
# container registry.
#
#  1. The base image. The Dockerfile's FROM (golang:GO_VERSION-bookworm) is
#     rebuilt locally as the official image is made: Debian bookworm from
#     Debian's archive (debootstrap, minbase) with the packages of the
#     official image's Dockerfiles (buildpack-deps' curl and scm layers, then
#     golang's gcc, libc6-dev, make, pkg-config), Go from the Go proxy's
#     toolchain module golang.org/toolchain@v0.0.1-goGO_VERSION.linux-amd64
#     in /usr/local/go, and the official environment (GOLANG_VERSION,
#     GOTOOLCHAIN=local, GOPATH=/go world-writable, PATH, WORKDIR /go). It is
#     tagged with the name FROM uses, and kept: later runs reuse it
#     (DOCKER_TEST_REBUILD_BASE=1 rebuilds it).
#     The one addition: the CA certificates this machine trusts beyond
#     Debian's (/usr/local/share/ca-certificates), for a network that reaches
#     the registries through a proxy with its own CA. None, nothing added.
#  2. The project's image: buildah bud of the Dockerfile as it is, with the
#     base taken from local storage only.
#  3. The image's own command (JupyterLab) runs on a free loopback port: it
#     must answer the API with its token and refuse without it (403). Then
#     the tutorial notebook executes inside the container through the
#     image's GoNB kernel (tests/nbrun.py), with no error.
#
# Needs root (buildah's chroot isolation, debootstrap); installs buildah and
# debootstrap from Debian's packages when missing. Prints each stage's time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
go_version="$(sed -n 's/^ARG GO_VERSION=//p' Dockerfile)"
[ -n "$go_version" ] || { echo "docker-test.sh: no 'ARG GO_VERSION=' line in Dockerfile" >&2; exit 1; }
base="docker.io/library/golang:${go_version}-bookworm"
image="localhost/advml:docker-test"
toolchain="golang.org/toolchain@v0.0.1-go${go_version}.linux-amd64"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
token="docker-test-$(date +%s)-$$"
t0=$(date +%s)
stage() { echo "docker-test: $1 ($(( $(date +%s) - t0 )) s)"; }

[ "$(id -u)" = 0 ] || { echo "docker-test.sh: run as root (buildah's chroot isolation and debootstrap need it)" >&2; exit 1; }
if ! command -v buildah >/dev/null || ! command -v debootstrap >/dev/null; then
  command -v apt-get >/dev/null || { echo "docker-test.sh: needs buildah and debootstrap, and there is no apt-get to install them" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends buildah debootstrap >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends buildah debootstrap >/dev/null; }
fi

# 1. The base image.
if [ "${DOCKER_TEST_REBUILD_BASE:-0}" = 1 ] || ! buildah inspect --type image "$base" >/dev/null 2>&1; then
  stage "building $base locally"
  buildah rmi -f "$base" >/dev/null 2>&1 || true
  ctr="$(buildah from scratch)"
  mnt="$(buildah mount "$ctr")"
  # buildpack-deps:bookworm-curl, -scm, then golang:bookworm's own packages.
  packages=ca-certificates,curl,gnupg,netbase,sq,wget,git,mercurial,openssh-client,subversion,procps,g++,gcc,libc6-dev,make,pkg-config
  debootstrap --variant=minbase --include="$packages" bookworm "$mnt" "$mirror" >/dev/null
  cat >"$mnt/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  rm -f "$mnt/etc/apt/sources.list"
  rm -rf "$mnt"/var/lib/apt/lists/* "$mnt"/var/cache/apt/archives/*.deb
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$mnt/usr/local/share/ca-certificates/"
    chroot "$mnt" update-ca-certificates >/dev/null 2>&1
  fi
  # Go from the Go proxy: the toolchain module holds GOROOT; module zips keep
  # no file modes, so the programs are made executable again (as go does
  # when it switches toolchains).
  gomod="$(mktemp -d)"
  dir="$(GOMODCACHE="$gomod" GOFLAGS=-modcacherw go mod download -json "$toolchain" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
  [ -x "$dir/bin/go" ] || chmod +x "$dir/bin/"* "$dir/pkg/tool/"*/*
  mkdir -p "$mnt/usr/local/go"
  cp -a "$dir/." "$mnt/usr/local/go/"
  chmod 755 "$mnt/usr/local/go/bin/"* "$mnt/usr/local/go/pkg/tool/"*/*
  rm -rf "$gomod"
  mkdir -p "$mnt/go/src" "$mnt/go/bin"
  chmod -R 1777 "$mnt/go"
  buildah umount "$ctr" >/dev/null
  buildah config \
    --env GOLANG_VERSION="$go_version" --env GOTOOLCHAIN=local --env GOPATH=/go \
    --env PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --workingdir /go --cmd bash --os linux --arch amd64 "$ctr"
  buildah commit --quiet --rm "$ctr" "$base" >/dev/null
  ctr=""
fi
check="$(buildah from --pull=never "$base")"
buildah run --isolation chroot "$check" -- go version
buildah rm "$check" >/dev/null
stage "base $base ready"

# 2. The project's image, from the Dockerfile as it is.
buildah bud --isolation chroot --network host --pull=never --layers=false -t "$image" -f Dockerfile . \
  | grep -E '^(STEP|COMMIT)|rror' || true
buildah inspect --type image "$image" >/dev/null 2>&1 || { echo "docker-test.sh: the image did not build" >&2; exit 1; }
stage "image $image built"

# 3. Run it: the image's own command on a free loopback port.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
ctr="$(buildah from --pull=never "$image")"
log="$(mktemp)"
cleanup() {
  local rc=$?
  if [ -n "${lab:-}" ]; then kill "$lab" 2>/dev/null || true; wait "$lab" 2>/dev/null || true; fi
  [ -z "${ctr:-}" ] || buildah rm "$ctr" >/dev/null 2>&1 || true
  rm -f "$log"
  exit "$rc"
}
trap cleanup EXIT
# The image's CMD with its --ip and --port replaced (JupyterLab takes each once).
mapfile -t cmd < <(buildah inspect --format '{{range .OCIv1.Config.Cmd}}{{println .}}{{end}}' "$image" | sed -e '/^$/d' -e '/^--ip=/d' -e '/^--port=/d')
buildah run --isolation chroot --network host --env JUPYTER_TOKEN="$token" "$ctr" -- \
  "${cmd[@]}" --ip=127.0.0.1 --port="$port" >"$log" 2>&1 &
lab=$!
url="http://127.0.0.1:$port"
for _ in $(seq 120); do
  curl -s -o /dev/null "$url/api/status?token=$token" && break
  kill -0 "$lab" 2>/dev/null || { cat "$log" >&2; echo "docker-test.sh: JupyterLab in the image exited" >&2; exit 1; }
  sleep 1
done
with="$(curl -s -o /dev/null -w '%{http_code}' "$url/api/status?token=$token")"
without="$(curl -s -o /dev/null -w '%{http_code}' "$url/api/status")"
kernels="$(curl -s "$url/api/kernelspecs?token=$token")"
echo "docker-test: JupyterLab in the image: $with with its token, $without without"
[ "$with" = 200 ] && [ "$without" = 403 ] || { cat "$log" >&2; echo "docker-test.sh: expected 200 with the token and 403 without" >&2; exit 1; }
case "$kernels" in *'"gonb"'*) echo "docker-test: the gonb kernelspec is there" ;; *) echo "docker-test.sh: no gonb kernelspec in $kernels" >&2; exit 1 ;; esac
stage "JupyterLab answered"

# The tutorial, executed inside the container by its own kernel.
start=$(date +%s)
buildah run --isolation chroot --network host "$ctr" -- \
  .venv/bin/python tests/nbrun.py notebooks/01-adversarial-ml-from-scratch.ipynb
echo "docker-test: the tutorial ran inside the container in $(( $(date +%s) - start )) s"
stage "passed"
