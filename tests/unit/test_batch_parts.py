"""How the clean step splits stations into groups (lumen/clean/batch_parts.py)."""

from lumen.clean.batch_parts import groups, worthwhile


def test_groups_are_contiguous_sorted_runs_of_about_equal_size():
    codes = [f"A{n:03d}" for n in range(10)][::-1]
    out = groups(codes, 3)
    assert out == [["A000", "A001", "A002"], ["A003", "A004", "A005"], ["A006", "A007", "A008", "A009"]]
    assert groups(["B1", "A1"], 4) == [["A1"], ["B1"]]  # never an empty group
    assert groups([], 2) == [[]]


def test_small_windows_stay_one_query():
    assert not worthwhile(1_000)
