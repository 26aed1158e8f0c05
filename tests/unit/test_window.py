"""Windows from `--start/--end`: what a date or an hour means, and what is refused with one line."""

from datetime import UTC, datetime

import pytest

from lumen.errors import LumenError
from lumen.window import parse_window


def test_a_date_end_includes_that_day():
    assert parse_window("2024-01-01", "2024-01-01") == (
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2024, 1, 2, tzinfo=UTC),
    )


def test_the_last_representable_day_is_refused_with_a_message_not_an_overflow():
    with pytest.raises(LumenError, match=r"'9999-12-31': a window must end before 9999-12-31"):
        parse_window("2024-01-01", "9999-12-31")
