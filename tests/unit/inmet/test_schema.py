"""The one definition of INMET's missing values and hours (lumen/inmet/schema.py)."""

import pytest

from lumen.inmet.schema import MISSING_TEXTS, is_missing, whole_hour

# every spelling of "missing" INMET uses: API null, 2019+ empty fields, ≤2018 -9999, re-saved files
SPELLINGS = [None, "", " ", "-9999", " -9999 ", "-9999,0", "-9999.0", "-9999,00", "-9999.00"]


@pytest.mark.parametrize("text", SPELLINGS)
def test_every_spelling_of_missing(text):
    assert is_missing(text)


@pytest.mark.parametrize("text", ["0", ",0", "-,6", "-9998", "9999", "-99990", "abc", "-9999,5"])
def test_values_are_not_missing(text):
    assert not is_missing(text)


def test_the_texts_cover_the_spellings():
    assert {s.strip() for s in SPELLINGS if s is not None} <= set(MISSING_TEXTS)


@pytest.mark.parametrize(
    ("text", "hour"),
    [
        ("0000", 0),
        ("0300", 3),
        ("2300", 23),
        ("03:00", 3),
        ("0300 UTC", 3),
        ("300", 3),
        ("0", 0),
        ("2400", None),
        ("2500", None),
        ("0299", None),
        ("0330", None),
        ("03:30", None),
        ("", None),
        ("x", None),
        ("12345", None),
    ],
)
def test_whole_hours_only(text, hour):
    assert whole_hour(text) == hour


def test_only_inmet_codes_pass():
    from lumen.errors import LumenError
    from lumen.vocabulary import state_codes, station_codes

    assert station_codes(" a807, B008 ,") == ["A807", "B008"] and state_codes("pr,RJ") == ["PR", "RJ"]
    for bad in ("A807'; drop table raw_data.loads; --", "A8071", "807", "A807,../x"):
        with pytest.raises(LumenError, match=r"is not an INMET station code \(a letter and three digits"):
            station_codes(bad)
    with pytest.raises(LumenError, match=r"'PRX' is not a state \(two letters"):
        state_codes("PR,PRX")
