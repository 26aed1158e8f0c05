"""Before `make up` starts the Docker stack: every host port docker-compose.yml publishes must be free.

One line names the first port another program holds, and what to do (stdlib only: Docker mode
has no virtual environment). The ports come from the compose file itself (its `127.0.0.1:PORT:…`
mappings, `${VAR}` read from .env), so they have one home.

    python3 scripts/ports_free.py [COMPOSE_FILE] [ENV_FILE]
"""

from __future__ import annotations

import re
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAPPING = re.compile(r'"127\.0\.0\.1:(?:\$\{(\w+)(?::-(\d+))?\}|(\d+)):\d+"')  # ${VAR}, ${VAR:-6789} or 6789
ASSIGNMENT = re.compile(r"^\s*([A-Z][A-Z0-9_]*)=(.*)$")


def env_values(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return {m.group(1): m.group(2).strip() for line in path.read_text().splitlines() if (m := ASSIGNMENT.match(line))}


def published(compose: str, env: dict[str, str]) -> list[tuple[int, str | None]]:
    """(host port, the .env variable that sets it or None) for every loopback mapping."""
    found = []
    for var, default, port in MAPPING.findall(compose):
        value = env.get(var) or default if var else port
        if value:
            found.append((int(value), var or None))
    return found


def taken(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def main(compose_file: Path, env_file: Path) -> int:
    for port, var in published(compose_file.read_text(), env_values(env_file)):
        if taken(port):
            what = (
                f"set {var} in .env to a free port"
                if var
                else f"stop the program using it (`ss -ltnp 'sport = :{port}'` names it)"
            )
            print(f"make up: port {port} on 127.0.0.1 is taken by another program: {what}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    given = sys.argv[1:3]
    sys.exit(
        main(
            Path(given[0]) if given else ROOT / "docker-compose.yml",
            Path(given[1]) if len(given) > 1 else ROOT / ".env",
        )
    )
