import shutil

import psycopg
import pytest

from lumen.db import connect
from lumen.db.migrate import SQL_DIR, applied, discover
from lumen.errors import DatabaseError
from lumen.run.database import migrate

CATALOG = """
SELECT n.nspname || '.' || c.relname || ':' || c.relkind::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('raw_data', 'processed_data', 'analytics', 'ops') ORDER BY 1
"""


def _snapshot(settings):
    with connect("admin", settings) as conn:
        return (
            conn.execute("SELECT version, name, checksum, applied_at FROM ops.schema_migrations ORDER BY 1").fetchall(),
            conn.execute(CATALOG).fetchall(),
            conn.execute(
                "SELECT rolname, rolcanlogin, rolpassword FROM pg_authid WHERE rolname LIKE 'lumen%' ORDER BY 1"
            ).fetchall(),
        )


def test_migrate_applies_all_in_order_then_nothing(fresh_db):
    ran = migrate(fresh_db)
    assert [m.version for m in ran] == [m.version for m in discover()]
    with connect("admin", fresh_db) as conn:
        schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace").fetchall()}
        assert {"raw_data", "processed_data", "analytics", "ops"} <= schemas
        assert set(applied(conn)) == {m.version for m in discover()}
    before = _snapshot(fresh_db)
    assert migrate(fresh_db) == []
    assert _snapshot(fresh_db) == before  # second run changes nothing, role passwords included


def test_roles_can_log_in_with_env_passwords(migrated_db):
    with connect("pipeline", migrated_db) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == "lumen_pipeline"
    with connect("reader", migrated_db) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == "lumen_reader"


def test_edited_migration_is_refused(fresh_db, tmp_path):
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql_dir)
    migrate(fresh_db, sql_dir)
    target = sorted(sql_dir.glob("V003__*.sql"))[0]
    target.write_text(target.read_text() + "\n-- edited\n")
    with pytest.raises(DatabaseError, match="changed after it was applied"):
        migrate(fresh_db, sql_dir)


def test_failing_migration_leaves_nothing_behind(fresh_db, tmp_path):
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql_dir)
    n = len(discover(sql_dir)) + 1
    (sql_dir / f"V{n:03d}__broken.sql").write_text(
        "CREATE TABLE ops.half_done (id int);\nSELECT * FROM no_such_table;\n"
    )
    with pytest.raises(DatabaseError, match=rf"V{n:03d}__broken.sql failed: .*no_such_table"):
        migrate(fresh_db, sql_dir)
    with connect("admin", fresh_db) as conn:
        assert conn.execute("SELECT to_regclass('ops.half_done')").fetchone()[0] is None
        assert n not in applied(conn)
        assert n - 1 in applied(conn)  # the good ones before it stay applied


def test_reader_is_read_only_and_blind_to_raw_and_ops(migrated_db):
    with connect("admin", migrated_db) as conn:
        for schema in ("raw_data", "processed_data", "analytics", "ops"):
            conn.execute(f"CREATE TABLE {schema}.probe (v int)")
            conn.execute(f"INSERT INTO {schema}.probe VALUES (1)")
        conn.commit()
    with connect("reader", migrated_db, autocommit=True) as conn:
        for schema in ("processed_data", "analytics"):
            assert conn.execute(f"SELECT v FROM {schema}.probe").fetchone() == (1,)
        for schema in ("raw_data", "processed_data", "analytics", "ops", "public"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"CREATE TABLE {schema}.mine (v int)")
            if schema != "public":
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(f"INSERT INTO {schema}.probe VALUES (2)")
        for schema in ("raw_data", "ops"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT * FROM {schema}.probe")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TEMP TABLE scratch (v int)")


def test_pipeline_writes_but_cannot_change_schema(migrated_db):
    with connect("admin", migrated_db) as conn:
        conn.execute("CREATE TABLE raw_data.probe (v int)")
        conn.commit()
    with connect("pipeline", migrated_db, autocommit=True) as conn:
        conn.execute("INSERT INTO raw_data.probe VALUES (7)")
        assert conn.execute("SELECT sum(v) FROM raw_data.probe").fetchone() == (7,)
        conn.execute("CREATE TEMP TABLE staging (v int)")  # staging for COPY
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DROP TABLE raw_data.probe")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE raw_data.other (v int)")


def test_v011_moves_v004_rows_and_keeps_their_origins(fresh_db, tmp_path):
    """Raw rows stored by V004 (origin and run on every row) keep all they said after V011."""
    migrate(fresh_db, up_to=10)
    with connect("admin", fresh_db) as conn:
        conn.execute(
            "INSERT INTO raw_data.inmet_observations (source, station_code, observed_at, dt_medicao, hr_medicao, "
            "tem_ins, origin, ingested_at, run_id) VALUES "
            "('archive', 'A807', '2023-12-31 23:00+00', '2023/12/31', '2300 UTC', '19,2', 'f.zip!a.CSV', "
            " '2024-01-05 10:00+00', 'r1'), "
            "('archive', 'A807', '2024-01-01 00:00+00', '2024/01/01', '0000 UTC', '19,0', 'f.zip!b.CSV', "
            " '2024-01-05 10:00+00', 'r1'), "
            "('api', 'A807', '2024-01-01 00:00+00', '2024-01-01', '0000', '19.1', 'https://x/A807', "
            " '2024-01-06 10:00+00', 'r2')"
        )
    migrate(fresh_db)
    with connect("admin", fresh_db) as conn:
        rows = conn.execute(
            "SELECT source, observed_at::text, tem_ins, origin, run_id, ingested_at::text "
            "FROM raw_data.inmet_observations_with_origin ORDER BY observed_at, source"
        ).fetchall()
        partitions = conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'raw_data.inmet_observations'::regclass ORDER BY 1"
        ).fetchall()
        assert conn.execute("SELECT count(*) FROM raw_data.loads").fetchone() == (3,)
    assert rows == [
        ("archive", "2023-12-31 23:00:00+00", "19,2", "f.zip!a.CSV", "r1", "2024-01-05 10:00:00+00"),
        ("api", "2024-01-01 00:00:00+00", "19.1", "https://x/A807", "r2", "2024-01-06 10:00:00+00"),
        ("archive", "2024-01-01 00:00:00+00", "19,0", "f.zip!b.CSV", "r1", "2024-01-05 10:00:00+00"),
    ]
    assert partitions == [("inmet_observations_2023",), ("inmet_observations_2024",)]
