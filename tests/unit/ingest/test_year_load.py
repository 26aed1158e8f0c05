"""How a new year's station files are split into parts loaded side by side."""

import io

from lumen.ingest.prepared import Job
from lumen.ingest.year_load import split
from lumen.inmet.archive import ArchiveFile


def job(code: str, load_id: int) -> Job:
    name = f"INMET_S_PR_{code}_X_01-01-2024_A_31-12-2024.CSV"
    return Job(ArchiveFile(name, name, lambda: io.BytesIO()), load_id)


def test_parts_hold_station_ranges_of_about_as_many_files():
    jobs = [job(code, i) for i, code in enumerate(["A807", "A001", "B120", "A652", "S000", "A621"])]
    bounds, groups = split(jobs, 3)
    assert bounds == ["A652", "B120"]
    assert [[j.file.name.split("_")[3] for j in g] for g in groups] == [
        ["A001", "A621"],
        ["A807", "A652"],
        ["B120", "S000"],
    ]
    for i, group in enumerate(groups):  # every code lies in its part's range [bounds[i-1], bounds[i])
        for j in group:
            code = j.file.name.split("_")[3]
            assert (i == 0 or code >= bounds[i - 1]) and (i == len(bounds) or code < bounds[i])


def test_fewer_stations_than_parts_and_one_station_many_files():
    assert split([job("A807", 1)], 3) == ([], [[job("A807", 1)]])
    same = [job("A807", 1), job("A807", 2)]
    assert split(same, 3) == ([], [same])
    bounds, groups = split([job("A001", 1), job("A002", 2)], 3)
    assert bounds == ["A002"] and [len(g) for g in groups] == [1, 1]
