#!/usr/bin/env bash
# Before `make test-docker`: what it needs, set up as .ci/run does (root with apt), or one line naming
# what is missing. Needs: root (the stand-in images are built with debootstrap), Debian's docker.io
# (/usr/bin/docker, with BuildKit), Debian's docker-compose (the tests drive it) and an engine answering.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "make test-docker: needs root (the stand-in images are built with debootstrap); run it as root, as .ci/run does"
  exit 1
fi
missing=""
[ -x /usr/bin/docker ] || missing="$missing docker.io"
command -v docker-compose >/dev/null || missing="$missing docker-compose"
if [ -n "$missing" ]; then
  if ! command -v apt-get >/dev/null; then
    echo "make test-docker: missing$missing and no apt-get to install it: install Debian's$missing"
    exit 1
  fi
  echo "test-docker: installing$missing"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null; } ||
    { echo "make test-docker: apt-get could not install$missing: install them, then run it again"; exit 1; }
fi
scripts/docker_engine.sh start >/dev/null || {
  echo "make test-docker: no Docker engine answers and none could be started (scripts/docker_engine.sh start says why)"
  exit 1
}
