"""lumen.publish.analytics without a database: what a dbt run's results say, and dbt's environment."""

import json

from lumen.publish import analytics
from tests.conftest import make_settings


def results(*nodes: dict) -> dict:
    return {"results": list(nodes)}


def test_results_name_every_failing_test_and_model(tmp_path):
    path = tmp_path / "run_results.json"
    path.write_text(
        json.dumps(
            results(
                {
                    "unique_id": "model.lumen.daily_station_summary",
                    "status": "success",
                    "adapter_response": {"rows_affected": 96},
                },
                {
                    "unique_id": "model.lumen.station_map",
                    "status": "success",
                    "adapter_response": {"rows_affected": -1},
                },
                {
                    "unique_id": "test.lumen.unique_key_daily_station_summary_station_code__local_date.637d9de4fe",
                    "status": "pass",
                    "failures": 0,
                },
                {
                    "unique_id": "test.lumen.in_range_daily_station_summary_rel_humidity_mean_pct__100__0.0ca40a2c9a",
                    "status": "fail",
                    "failures": 3,
                    "message": "Got 3 results, configured to fail if != 0",
                },
                {
                    "unique_id": "model.lumen.station_extremes",
                    "status": "error",
                    "message": "Database Error in model station_extremes (models/marts/station_extremes.sql)\n"
                    "  division by zero\n  compiled code at /x/y.sql",
                },
                {"unique_id": "model.lumen.monthly_station_summary", "status": "skipped", "message": None},
            )
        )
    )
    got = analytics._read_results(path, 1.234)
    assert got.models == {"daily_station_summary": 96, "station_map": None}
    assert got.tests_passed == 1 and got.seconds == 1.23
    assert got.problems == [
        "test in_range_daily_station_summary_rel_humidity_mean_pct__100__0 failed on 3 rows",
        "model station_extremes error: Database Error in model station_extremes "
        "(models/marts/station_extremes.sql) division by zero",
    ]
    assert got.line() == "dbt built 2 models (daily_station_summary 96 rows); 1 tests passed"


def test_a_dbt_stop_before_any_node_is_reported_from_its_output():
    output = "Running with dbt=1.11\nEncountered an error:\nParsing Error\n  Error reading lumen: marts.yml\n"
    assert analytics._last_error(output) == "Parsing Error Error reading lumen: marts.yml"


def test_dbt_gets_the_pipeline_role_and_the_window_from_its_environment(tmp_path):
    settings = make_settings(
        LUMEN_DATABASE_URL="postgresql://admin:adm@db.example:6543/lumen",
        LUMEN_PIPELINE_PASSWORD="pipe-Secret-1",
        LUMEN_STATE_DIR=str(tmp_path),
    )
    env = analytics.dbt_env(settings, "2024-11-01T00:00:00+00:00", "2024-11-01T01:00:00+00:00")
    assert (env["LUMEN_DBT_HOST"], env["LUMEN_DBT_PORT"], env["LUMEN_DBT_USER"], env["LUMEN_DBT_DBNAME"]) == (
        "db.example",
        "6543",
        "lumen_pipeline",
        "lumen",
    )
    assert env["DBT_ENV_SECRET_LUMEN_PASSWORD"] == "pipe-Secret-1"  # dbt scrubs DBT_ENV_SECRET_* from its logs
    assert "adm" not in {v for k, v in env.items() if k.startswith(("LUMEN_DBT", "DBT_"))}  # never the admin's
    assert env["DBT_TARGET_PATH"] == str(tmp_path / "dbt" / "target")
    assert (env["LUMEN_WINDOW_START"], env["LUMEN_WINDOW_END"]) == (
        "2024-11-01T00:00:00+00:00",
        "2024-11-01T01:00:00+00:00",
    )


def test_the_profile_reads_the_connection_from_the_environment_only():
    import yaml

    output = yaml.safe_load((analytics.PACKAGE_DBT_DIR / "profiles.yml").read_text())["lumen"]["outputs"]["pipeline"]
    for key in ("host", "port", "user", "password", "dbname"):
        assert str(output[key]).startswith("{{ env_var("), key
    assert "DBT_ENV_SECRET_" in output["password"]  # scrubbed from dbt's logs
