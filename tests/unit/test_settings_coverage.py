"""Every setting in one place (#27): each variable `.env.example` documents is a Settings field or a
documented compose-only one, each Settings field is documented there, and no module reads a LUMEN_*
variable from the process environment unless config.py says why it cannot come from Settings."""

from __future__ import annotations

import re

from lumen.config import COMPOSE_ONLY, PROCESS_ONLY, Settings, env_names
from tests.conftest import ROOT

DOCUMENTED = set(re.findall(r"(?m)^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(encoding="utf-8")))


def test_every_documented_variable_is_a_setting_or_compose_only():
    assert DOCUMENTED - set(env_names()) - set(COMPOSE_ONLY) == set()


def test_every_setting_is_documented():
    assert set(env_names()) - DOCUMENTED == set()
    assert set(COMPOSE_ONLY) - DOCUMENTED == set()


def test_no_module_reads_a_lumen_variable_behind_settings_back():
    """`os.environ.get("LUMEN_…")` / `os.environ["LUMEN_…"]` outside config.py only for the variables
    PROCESS_ONLY names (where .env is, the CLI's --debug, variables handed to child processes)."""
    reads = re.compile(r"os\.environ(?:\.get\(|\[|\.setdefault\()\s*\"((?:LUMEN|INMET)_[A-Z0-9_]+)")
    found = {}
    for path in (ROOT / "lumen").rglob("*.py"):
        if path.name == "config.py":
            continue
        for name in reads.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    stray = {name: where for name, where in found.items() if name not in PROCESS_ONLY}
    assert not stray, f"read from the environment, not through Settings: {stray}"


def test_the_lock_settings_come_from_the_env_file(tmp_path):
    env = tmp_path / ".env"
    env.write_text("LUMEN_LOCK_WAIT=7\nLUMEN_LOCK_GAP_S=9\nLUMEN_MAGE_BIN=/opt/mage/bin/mage\n")
    settings = Settings(_env_file=env)  # type: ignore[call-arg]
    assert (settings.lock_wait_s, settings.lock_gap_s, str(settings.mage_bin)) == (7, 9, "/opt/mage/bin/mage")
