"""Create or complete the git-ignored `.env` from the committed `.env.example`.

Secrets are never committed: a variable whose example value is the marker
`generate` gets a fresh random value on this machine. Existing values are kept;
variables a newer `.env.example` adds are appended. Running it again changes nothing.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

GENERATE = "generate"
_LINE = re.compile(r"^\s*([A-Z][A-Z0-9_]*)=(.*)$")


def _assignments(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for line in text.splitlines() if (m := _LINE.match(line))}


def new_secret() -> str:
    """24 random URL-safe characters with at least one digit, one lower- and one upper-case letter: every
    service's password rules accept it (Metabase's default refuses a password without a digit)."""
    while True:
        value = secrets.token_urlsafe(18)
        if any(c.isdigit() for c in value) and any(c.islower() for c in value) and any(c.isupper() for c in value):
            return value


def ensure_env_file(example: Path, target: Path) -> list[str]:
    """Write `target` from `example`; return the names of the variables added now."""
    example_text = example.read_text(encoding="utf-8")
    existing = _assignments(target.read_text(encoding="utf-8")) if target.exists() else {}
    added: list[str] = []
    out: list[str] = []
    for line in example_text.splitlines():
        match = _LINE.match(line)
        if match is None:
            if not existing:
                out.append(line)
            continue
        name, value = match.groups()
        if name in existing:
            continue
        if value.strip() == GENERATE:
            value = new_secret()
        out.append(f"{name}={value}")
        added.append(name)
    if not added and target.exists():
        return []
    if target.exists():
        text = target.read_text(encoding="utf-8").rstrip("\n")
        text += "\n\n# added from .env.example\n" + "\n".join(out) + "\n"
    else:
        text = "\n".join(out) + "\n"
    target.write_text(text, encoding="utf-8")
    target.chmod(0o600)
    return added
