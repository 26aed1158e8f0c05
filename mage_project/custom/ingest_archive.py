"""Backfill: INMET yearly archives (years, ZIPs, folders or CSVs) → raw_data (lumen step ingest, source=archive)."""

if "custom" not in globals():
    from mage_ai.data_preparation.decorators import custom

from mage_project.utils.lumen_step import new_run, run_step, variable


@custom
def ingest_archive(*args, **kwargs):
    archives = [a.strip() for a in variable(kwargs, "archive").split(",") if a.strip()]
    if not archives:
        raise ValueError('runtime variable `archive` is required: a year (2024), a ZIP, a folder or a CSV')
    if not variable(kwargs, "start") or not variable(kwargs, "end"):
        years = sorted(a for a in archives if a.isdigit())
        if not years:
            raise ValueError("runtime variables `start` and `end` are required unless `archive` lists years")
        kwargs = {**kwargs, "start": kwargs.get("start") or f"{years[0]}-01-01",
                  "end": kwargs.get("end") or f"{years[-1]}-12-31"}
    run = new_run("backfill", kwargs)
    for archive in archives:
        run_step("ingest", run, {"source": "archive", "archive": archive, "stations": variable(kwargs, "stations"),
                                 "uf": variable(kwargs, "uf")})
    return run
