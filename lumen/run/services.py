"""Native background services (Mage, JupyterLab): started detached, pid and log under .lumen/."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from lumen.config import Settings, get_settings
from lumen.errors import LumenError
from lumen.polling import http_ok, wait_until


@dataclass(frozen=True)
class Service:
    name: str
    pid_file: Path
    log_file: Path

    def pid(self) -> int | None:
        """The running process's pid, or None (a stale pid file is removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
            os.kill(pid, 0)
        except (OSError, ValueError):
            self.pid_file.unlink(missing_ok=True)
            return None
        return pid


def service(name: str, settings: Settings | None = None) -> Service:
    base = (settings or get_settings()).lumen_dir
    return Service(name, base / "run" / f"{name}.pid", base / "logs" / f"{name}.log")


def start(svc: Service, cmd: list[str], env: dict[str, str], cwd: Path) -> int:
    """Start `cmd` detached (own session, so `stop` ends its children too). Returns its pid."""
    if (pid := svc.pid()) is not None:
        return pid
    svc.pid_file.parent.mkdir(parents=True, exist_ok=True)
    svc.log_file.parent.mkdir(parents=True, exist_ok=True)
    with svc.log_file.open("ab") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    svc.pid_file.write_text(str(proc.pid))
    time.sleep(0.5)
    if proc.poll() is not None:
        svc.pid_file.unlink(missing_ok=True)
        tail = svc.log_file.read_text(errors="replace").splitlines()[-10:]
        raise LumenError(f"{svc.name} exited at start (code {proc.returncode}); last log lines:\n" + "\n".join(tail))
    return proc.pid


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    _reap(pid)
    return False


def stop(svc: Service, timeout_s: float = 20.0) -> bool:
    """SIGTERM the service's process group, SIGKILL after `timeout_s`. False if it was not running."""
    pid = svc.pid()
    if pid is None:
        return False
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            break
        if wait_until(lambda: _gone(pid), timeout_s, 0.2):
            break
    svc.pid_file.unlink(missing_ok=True)
    return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def wait_ready(svc: Service, url: str, what: str, timeout_s: float = 90.0) -> None:
    """Until `url` answers (or the service's process is gone, or the time is up); else stop it and
    raise with the last lines of its log."""
    if wait_until(lambda: http_ok(url) or svc.pid() is None, timeout_s, 0.5) and svc.pid() is not None:
        return
    tail = svc.log_file.read_text(errors="replace").splitlines()[-8:] if svc.log_file.exists() else []
    stop(svc)
    raise LumenError(f"{what} did not come up; last log lines:\n" + "\n".join(tail))
