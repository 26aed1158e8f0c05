"""Headless Chromium (Debian's package; .ci/run installs it) for tests that look at what people see."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed here (apt-get install chromium)")
    return exe


def _run(args: list[str], timeout: float = 90) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=timeout
        )


def dom(url: str, wait_ms: int = 0, extra: list[str] | None = None) -> str:
    flags = [f"--virtual-time-budget={wait_ms}"] if wait_ms else []
    out = _run([*flags, *(extra or []), "--dump-dom", url])
    assert out.returncode == 0, out.stderr[-1000:]
    return out.stdout


def screenshot(url: str, path: Path, size: str = "1280,2200", wait_ms: int = 0, extra: list[str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = [f"--virtual-time-budget={wait_ms}"] if wait_ms else []
    out = _run([*flags, *(extra or []), f"--window-size={size}", f"--screenshot={path}", url])
    assert out.returncode == 0 and path.exists() and path.stat().st_size > 10_000, out.stderr[-1000:]
    return path
