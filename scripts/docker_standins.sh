#!/usr/bin/env bash
# Local stand-ins for the upstream images, where none can be pulled (#18's smoke test), then
# LÚMEN's own two images built FROM them:
#   lumen-standin/debian:bookworm   debootstrap --variant=minbase, imported (no registry)
#   lumen-standin/python:3.11       this machine's CPython 3.11 on it (python:3.11.x-slim's place)
#   lumen-standin/postgres:15       Debian's PostgreSQL + an entrypoint honouring POSTGRES_* and initdb.d
#   lumen-standin/metabase:fake     the project's fake Metabase API on :3000 (not Metabase)
#   lumen:0.1.0, lumen-mage:0.1.0   docker/*.Dockerfile with PYTHON_IMAGE=lumen-standin/python:3.11
# pip inside builds trusts the host's CA bundle through a BuildKit secret (never in a layer).
# Needs root, Debian's docker.io (its /usr/bin/docker has BuildKit; the image's newer client first
# on PATH has no buildx) and debootstrap. Prints the variables that make compose use them.
set -euo pipefail
cd "$(dirname "$0")/.."
DOCKER=/usr/bin/docker
export DOCKER_BUILDKIT=1
work=${LUMEN_STANDIN_DIR:-/tmp/lumen-standins}
ca=${LUMEN_BUILD_CA:-/etc/ssl/certs/ca-certificates.crt}
mkdir -p "$work"
log() { echo "standins: $*" >&2; }
build() { "$DOCKER" build -q --secret "id=ca,src=$ca" "$@" >/dev/null; }

if ! "$DOCKER" image inspect lumen-standin/debian:bookworm >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  log "debootstrap bookworm (~30-70 s)"
  rm -rf "$work/rootfs"
  debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log"
  tar -C "$work/rootfs" -c . | "$DOCKER" import - lumen-standin/debian:bookworm >/dev/null
  rm -rf "$work/rootfs"
fi

prefix=$(python3 -c 'import sys; assert sys.version_info >= (3, 11, 5) and sys.version_info < (3, 12), sys.version; print(sys.base_prefix)')
ctx="$work/python"
rm -rf "$ctx" && mkdir -p "$ctx/python3.11/bin"
tar -C "$prefix" --exclude='lib/python3.11/site-packages/*' --exclude='lib/python3.11/test' --exclude='*/__pycache__' \
  --exclude='lib/python3.11/config-3.11-*/*.a' -cf - lib include | tar -C "$ctx/python3.11" -xf -
cp -P "$prefix/bin/python3.11" "$ctx/python3.11/bin/" && ln -sf python3.11 "$ctx/python3.11/bin/python3"
cp docker/standins/python.Dockerfile "$ctx/Dockerfile"
log "python stand-in from $prefix"
build -t lumen-standin/python:3.11 "$ctx"
log "postgres stand-in"
build -f docker/standins/postgres.Dockerfile -t lumen-standin/postgres:15 docker/standins
log "metabase stand-in (the fake API)"
build -f docker/standins/metabase.Dockerfile -t lumen-standin/metabase:fake .
log "lumen:0.1.0 and lumen-mage:0.1.0 on the python stand-in"
build --build-arg PYTHON_IMAGE=lumen-standin/python:3.11 -f docker/lumen.Dockerfile -t lumen:0.1.0 .
build --build-arg PYTHON_IMAGE=lumen-standin/python:3.11 -f docker/mage.Dockerfile -t lumen-mage:0.1.0 .
echo "LUMEN_POSTGRES_IMAGE=lumen-standin/postgres:15"
echo "LUMEN_METABASE_IMAGE=lumen-standin/metabase:fake"
echo "LUMEN_PYTHON_IMAGE=lumen-standin/python:3.11"
