"""Create or complete `.env` from `.env.example` with any python3 (stdlib only).

What `make` runs before anything else: Docker mode needs no virtual environment, so this
loads lumen/envfile.py by path (stdlib only; `lumen env` calls the same function) instead of
importing the lumen package.

    python3 scripts/env_init.py
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    spec = importlib.util.spec_from_file_location("lumen_envfile", ROOT / "lumen" / "envfile.py")
    envfile = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(envfile)  # type: ignore[union-attr]
    added = envfile.ensure_env_file(ROOT / ".env.example", ROOT / ".env")
    print(f".env: {len(added)} variable(s) added" if added else ".env: up to date")


if __name__ == "__main__":
    main()
