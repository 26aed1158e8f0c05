"""The report's alert table: the most severe episodes first, at most ALERTS_SHOWN, and the text says
how many there are and where the rest are (#27, new-user 9: the demo's report listed all 92)."""

from __future__ import annotations

import pandas as pd

from lumen import report


def data(n: int) -> report.ReportData:
    levels = ["yellow", "orange", "red"]
    alerts = pd.DataFrame(
        {
            "station_code": ["A807"] * n,
            "alert": ["Rajadas de vento"] * n,
            "level": [levels[i % 3] for i in range(n)],
            "started_local": [f"2024-11-{1 + i % 28:02d} 10:00" for i in range(n)],
            "peak": [10.0 + i for i in range(n)],
            "unit": ["m/s"] * n,
            "status": ["closed"] * n,
        }
    )
    empty = pd.DataFrame()
    return report.ReportData(["A807"], "2024-11-01", "2024-11-28", empty, empty, empty, {}, empty, empty, alerts)


def test_a_long_list_shows_the_most_severe_and_says_how_many():
    d = data(92)
    shown = report.alerts_table(d)
    assert len(shown) == report.ALERTS_SHOWN
    assert list(shown["level"][:3]) == ["red"] * 3 and shown["peak"].iloc[0] == 10.0 + 89  # the highest red first
    assert set(shown["level"]) == {"red"}  # 30 red episodes: the 20 shown are all red
    text = report.alerts_text(d)
    assert "92 episode(s) (30 red, 31 orange, 31 yellow)" in text
    assert (
        f"the {report.ALERTS_SHOWN} most severe of 92" in text and "lumen alerts list --station A807 --limit 0" in text
    )


def test_a_short_list_is_shown_whole_without_a_note():
    d = data(5)
    assert len(report.alerts_table(d)) == 5
    assert "most severe" not in report.alerts_text(d)
