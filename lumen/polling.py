"""Waiting for something to become true (a server up, a process gone), with tenacity doing the polling."""

from __future__ import annotations

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
