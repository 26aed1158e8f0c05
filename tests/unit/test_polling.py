import time

import pytest

from lumen.polling import wait_until


def test_wait_until_returns_once_the_check_holds():
    calls = iter([False, False, True])
    assert wait_until(lambda: next(calls), timeout_s=5, every_s=0.01) is True


def test_wait_until_gives_up_after_the_timeout():
    start = time.monotonic()
    assert wait_until(lambda: False, timeout_s=0.2, every_s=0.05) is False
    assert 0.2 <= time.monotonic() - start < 2


def test_an_error_in_the_check_is_not_swallowed():
    def boom() -> bool:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        wait_until(boom, timeout_s=1, every_s=0.01)
