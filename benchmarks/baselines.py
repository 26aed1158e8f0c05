"""The bench's baselines beside LÚMEN's ingest: a keyed \\copy of rows already rewritten (the
file-by-file bound) and the naive pandas read_csv + to_sql path."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import psycopg

from lumen.db import server


def measure_keyed_copy(url: str, files: list[Path], rows: int) -> float:
    """The server-side bound for a keyed load: \\copy of rows already rewritten by LÚMEN's reader
    (source, station, load, UTC hour, values) into one table shaped and keyed like
    raw_data.inmet_observations, its key kept up row by row (what loading file by file costs)."""
    from lumen.ingest.prepared import Job, prefetched
    from lumen.inmet import archive

    rewritten = files[0].parent.parent / "rewritten.txt"
    jobs = [Job(archive.ArchiveFile(f.name, f.name, lambda f=f: f.open("rb")), i) for i, f in enumerate(files)]
    with rewritten.open("wb") as out:
        for prepared in prefetched(jobs):
            out.writelines(prepared.chunks)
    cols = prepared.columns()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "DROP TABLE IF EXISTS bench_keyed; CREATE TABLE bench_keyed (LIKE raw_data.inmet_observations "
            "INCLUDING ALL)"
        )
    psql = str(server.bin_dir() / "psql")
    start = time.perf_counter()
    subprocess.run(
        [
            psql,
            url,
            "-qc",
            f"\\copy bench_keyed ({', '.join(cols)}) FROM '{rewritten}' "
            "WITH (FORMAT text, DELIMITER ';', ENCODING 'LATIN1')",
        ],
        check=True,
    )
    seconds = time.perf_counter() - start
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM bench_keyed").fetchone()[0] == rows
        conn.execute("DROP TABLE bench_keyed")
    rewritten.unlink()
    return rows / seconds


def measure_naive(files: list[Path], url: str, slice_rows: int) -> float:
    """The baseline being replaced: pandas read_csv + DataFrame.to_sql."""
    import pandas as pd
    import sqlalchemy as sa

    start = time.perf_counter()
    frames, total = [], 0
    for f in files:
        df = pd.read_csv(f, sep=";", decimal=",", encoding="latin-1", skiprows=8, dtype=str, index_col=False)
        frames.append(df)
        total += len(df)
        if total >= slice_rows:
            break
    data = pd.concat(frames).head(slice_rows)
    eng = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    data.to_sql("bench_naive", eng, if_exists="replace", index=False)
    seconds = time.perf_counter() - start
    eng.dispose()
    return len(data) / seconds
