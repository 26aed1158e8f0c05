"""The clean step's batch computed by station groups side by side (lumen/clean/batch_parts.py): the same
rows, quarantine and failures as one query, and nothing written when a group fails."""

from datetime import UTC, datetime

import pytest

from lumen import ingest
from lumen.clean import batch_parts, transform
from lumen.db import connect
from lumen.inmet.archive import list_files
from lumen.sample import INJECTIONS, generate

START, END = datetime(2024, 11, 1, tzinfo=UTC), datetime(2024, 11, 8, tzinfo=UTC)


def snapshot(settings) -> tuple[list, list]:
    """processed rows and quarantine rows, without the columns a run stamps (run id, times)."""
    with connect("admin", settings) as conn:
        obs = conn.execute(
            "SELECT station_code, observed_at, local_date, local_hour, source, "
            + ", ".join(transform.COLUMNS)
            + ", global_radiation_w_m2 FROM processed_data.observations ORDER BY 1, 2"
        ).fetchall()
        quarantine = conn.execute(
            "SELECT station_code, observed_at, source, rule, column_name, value, resolved_at IS NULL "
            "FROM processed_data.quarantine ORDER BY 1, 2, 4, 5"
        ).fetchall()
    return obs, quarantine


def reset(settings) -> None:
    with connect("admin", settings) as conn:
        conn.execute("TRUNCATE processed_data.observations, processed_data.quarantine")
        conn.commit()


def clean(settings, mode: str):
    with connect("pipeline", settings) as conn:
        return transform.clean(conn, START, END, f"run-{mode}", on_invalid=mode)


@pytest.fixture
def loaded(migrated_db, tmp_path):
    """A week of the four sample stations with every injected bad row, in raw_data."""
    with connect("pipeline", migrated_db) as conn:
        ingest.load_archive(conn, list_files(generate(tmp_path, days=7, inject=list(INJECTIONS)).archive_zip), "load")
    return migrated_db


def test_groups_side_by_side_give_what_one_query_gives(loaded, monkeypatch):
    one = clean(loaded, "quarantine")
    expected = snapshot(loaded)
    assert one.bad_rows == len(INJECTIONS) and len(expected[0]) == one.new > 600
    reset(loaded)
    calls = []
    fill = batch_parts.fill
    monkeypatch.setattr(batch_parts, "fill", lambda *a: calls.append(a[-1]) or fill(*a))
    monkeypatch.setattr(batch_parts, "MIN_ROWS", 0)
    monkeypatch.setattr(batch_parts, "PARTS", 3)
    parts = clean(loaded, "quarantine")
    assert calls == [["Z001", "Z621", "Z652", "Z807"]]  # the side-by-side path ran, over every station
    assert batch_parts.groups(calls[0], 3) == [["Z001"], ["Z621"], ["Z652", "Z807"]]
    assert snapshot(loaded) == expected
    assert (parts.checked, parts.new, parts.bad_rows, parts.quarantined) == (
        one.checked,
        one.new,
        one.bad_rows,
        one.quarantined,
    )
    # a broken rule fails the window as before: quarantine kept, nothing of the window published
    reset(loaded)
    with pytest.raises(transform.QualityError, match="quarantine"):
        clean(loaded, "fail")
    obs, quarantine = snapshot(loaded)
    assert obs == [] and quarantine == expected[1]


def test_a_failing_group_writes_nothing(loaded, monkeypatch):
    monkeypatch.setattr(batch_parts, "MIN_ROWS", 0)
    monkeypatch.setattr(batch_parts, "PARTS", 2)
    rows = batch_parts._rows
    seen = []

    def breaks_once(out, stop):
        seen.append(1)
        if len(seen) == 2:
            raise RuntimeError("disk full (simulated)")
        yield from rows(out, stop)

    monkeypatch.setattr(batch_parts, "_rows", breaks_once)
    with pytest.raises(RuntimeError, match="simulated"):
        clean(loaded, "quarantine")
    assert snapshot(loaded) == ([], [])
    with connect("admin", loaded) as conn:  # no group's connection left behind
        assert (
            conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'"
            ).fetchone()[0]
            == 0
        )
    monkeypatch.setattr(batch_parts, "_rows", rows)
    assert clean(loaded, "quarantine").new > 600  # and the next run is whole


def test_inside_a_callers_transaction_one_query_is_used(loaded, monkeypatch):
    monkeypatch.setattr(batch_parts, "MIN_ROWS", 0)
    monkeypatch.setattr(batch_parts, "fill", lambda *a: pytest.fail("groups cannot see uncommitted rows"))
    with connect("pipeline", loaded) as conn:
        conn.execute("SELECT 1")  # the caller's transaction is open
        assert transform.clean(conn, START, END, "run-tx", on_invalid="quarantine").new > 600
