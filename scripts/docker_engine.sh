#!/usr/bin/env bash
# A Docker engine for CI and `make test-docker` on a machine where we are root with apt:
#   scripts/docker_engine.sh start   install docker.io if missing, start dockerd (unless one answers)
#   scripts/docker_engine.sh stop    stop the dockerd that `start` started (an engine we found is left)
# Prints one line saying what it did; exits 1 with one line when no engine can answer.
set -uo pipefail
state="${LUMEN_DOCKERD_DIR:-/tmp/lumen-dockerd}"
pidfile="$state/dockerd.pid"

answers() { timeout 20 docker info >/dev/null 2>&1; }

case "${1:-}" in
start)
  if answers; then echo "docker engine: already answering (left as found)"; exit 0; fi
  if [ "$(id -u)" != 0 ]; then echo "docker engine: none answers and starting one needs root"; exit 1; fi
  if ! command -v dockerd >/dev/null; then
    command -v apt-get >/dev/null || { echo "docker engine: no dockerd and no apt-get to install docker.io"; exit 1; }
    echo "docker engine: installing docker.io"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null 2>&1 ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null; } ||
      { echo "docker engine: apt-get could not install docker.io"; exit 1; }
  fi
  answers && { echo "docker engine: answering (started by its package)"; exit 0; }
  mkdir -p "$state"
  nohup dockerd >"$state/dockerd.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 60); do
    if answers; then echo "docker engine: dockerd started (pid $(cat "$pidfile"), log $state/dockerd.log)"; exit 0; fi
    kill -0 "$(cat "$pidfile")" 2>/dev/null || break
    sleep 1
  done
  echo "docker engine: dockerd did not answer within 60 s — see $state/dockerd.log"
  exit 1
  ;;
stop)
  if [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null; then
    for _ in $(seq 30); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 1; done
    rm -f "$pidfile"
    echo "docker engine: dockerd stopped"
  else
    echo "docker engine: none started here, nothing to stop"
  fi
  ;;
*)
  echo "usage: scripts/docker_engine.sh start|stop"; exit 2 ;;
esac
