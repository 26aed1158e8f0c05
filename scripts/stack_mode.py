#!/usr/bin/env python3
"""Which stack `make up/down/logs/clean` drive: Docker (compose) or native. Stdlib only, so
Docker mode needs no project venv.

`up` runs natively when a native stack is already running, else Docker when an engine
answers (`LUMEN_DOCKER=0/1` forces it) — and records its choice in .lumen/mode. `down`,
`logs` and `clean` follow what runs and what `up` recorded, never merely whether an engine
answers: a native stack on a machine that also has Docker still stops natively (and
`clean` stops it before deleting its folder). They may name both.

    python3 scripts/stack_mode.py up|lab|down|logs|clean   prints: native | docker | "native docker"
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

FORCED = {
    "0": "native",
    "no": "native",
    "false": "native",
    "native": "native",
    "1": "docker",
    "yes": "docker",
    "true": "docker",
    "docker": "docker",
}


def state_dir() -> Path:
    return Path(os.environ.get("LUMEN_STATE_DIR") or ".lumen")


def _alive(pid_file: Path) -> bool:
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


def native_running(state: Path) -> bool:
    """The embedded PostgreSQL, Mage or JupyterLab of this project is running."""
    pids = [state / "postgres" / "postmaster.pid", *(state / "run").glob("*.pid")]
    return any(_alive(p) for p in pids)


def docker_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def modes(action: str, forced: str | None, recorded: str | None, native: bool, engine: Callable[[], bool]) -> list[str]:
    """The stacks `action` applies to (pure: the caller says what runs and what was recorded)."""
    if forced in FORCED:
        return [FORCED[forced]]
    if action in ("up", "lab"):
        return ["native"] if native or not engine() else ["docker"]
    out = ["native"] if native else []
    if recorded == "docker":
        out.append("docker")
    return out or [recorded or "native"]


def main(action: str) -> str:
    state = state_dir()
    record = state / "mode"
    recorded = record.read_text().strip() if record.exists() else None
    chosen = modes(
        action,
        os.environ.get("LUMEN_DOCKER", "").strip().lower() or None,
        recorded,
        native_running(state),
        docker_answers,
    )
    if action == "up":
        state.mkdir(parents=True, exist_ok=True)
        record.write_text(chosen[0] + "\n")
    return " ".join(chosen)


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("up", "lab", "down", "logs", "clean"):
        sys.exit("usage: stack_mode.py up|lab|down|logs|clean")
    print(main(sys.argv[1]))
