"""Waiting for something to become true (a server up, a process gone), with tenacity doing the polling."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable

from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed


def wait_until(check: Callable[[], bool], timeout_s: float, every_s: float) -> bool:
    """Call `check` every `every_s` seconds until it returns True (→ True) or `timeout_s` has passed
    (→ False). An exception in `check` is not retried: it propagates."""
    return Retrying(
        stop=stop_after_delay(timeout_s),
        wait=wait_fixed(every_s),
        retry=retry_if_result(lambda ok: not ok),
        retry_error_callback=lambda _state: False,
    )(check)


def http_ok(url: str, timeout_s: float = 5.0) -> bool:
    """`url` answers 200 (a service's health or status route)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            return resp.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
        return False
