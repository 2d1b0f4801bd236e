"""Schema migrations on a real SQLite file: created from nothing, matching the models, and
re-run without losing data."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from data_ingest.db import current_revision, is_empty, make_engine, session_scope, upgrade
from data_ingest.models import Base, Country, Municipality, Region


def test_upgrade_creates_every_table_on_a_new_file(settings):
    engine = make_engine(settings)
    assert is_empty(engine)
    upgrade(engine)
    assert (settings.data_dir / "migdash.sqlite3").is_file()
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert current_revision(engine) is not None


def test_migrations_match_the_models(settings):
    """A model change without a migration would be lost on users' databases: catch it here."""
    engine = make_engine(settings)
    upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_upgrade_again_keeps_data(settings):
    engine = make_engine(settings)
    upgrade(engine)
    with session_scope(engine) as session:
        country = Country(code="XAA", name="Aldoria")
        region = Region(code="N", name="North", country=country)
        session.add(
            Municipality(code="XAA-001", name="Port Lumen", region=region, population_band="50k-100k")
        )
    upgrade(engine)
    with session_scope(engine) as session:
        assert session.scalars(select(Municipality.name)).all() == ["Port Lumen"]


def test_sqlite_enforces_foreign_keys_and_wal(settings):
    engine = make_engine(settings)
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_scorecard_and_comparison_queries_use_indexes(settings):
    engine = make_engine(settings)
    upgrade(engine)
    with engine.connect() as connection:
        plan = " ".join(
            row[-1]
            for row in connection.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT indicator, year, value FROM indicator_values "
                    "WHERE municipality_id = :m ORDER BY indicator, year"
                ),
                {"m": 1},
            )
        )
        assert "USING PRIMARY KEY (municipality_id=?)" in plan, plan  # clustered on municipality first
        plan = " ".join(
            row[-1]
            for row in connection.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT municipality_id, value FROM indicator_values "
                    "WHERE indicator = :i AND year = :y"
                ),
                {"i": "WORK-01", "y": 2024},
            )
        )
        # Indicator values are packed per municipality, year and breakdown (migration 0002): one
        # indicator everywhere reads that year's packed rows through the year index.
        assert "USING INDEX ix_indicator_sets_year (year=?)" in plan, plan


def test_packing_migration_keeps_every_value_and_its_cell(settings):
    """0001 -> 0002 packs one row per value into one row per return (raw) and per municipality,
    year and breakdown (indicators); the views show the same rows, and a downgrade restores them."""
    from alembic import command

    from data_ingest.db import alembic_config

    engine = make_engine(settings)
    upgrade(engine, "0001")
    raw = [
        (1, "b_field", "total", 1.5, None, "Data", "C4"),
        (1, "a_field", "women", None, "not available", "Data", "D4"),
        (1, "a_field", "total", 0.1, None, "Data", "C5"),
        (2, "a_field", "total", 3.0, None, "Data", "E9"),
    ]
    when = "2024-01-01 00:00:00.000000"
    indicators = [
        (1, "WORK-01", 2023, "total", 60.0, None, 1, when),
        (1, "EDU-01", 2023, "total", None, 'input x missing ("quoted")', 1, when),
        (1, "WORK-01", 2023, "women", 55.5, None, 1, when),
    ]
    with engine.begin() as connection:
        for statement in (
            "INSERT INTO countries VALUES (1, 'XAA', 'A')",
            "INSERT INTO regions VALUES (1, 1, 'N', 'North')",
            "INSERT INTO municipalities (id, code, name, other_names, region_id, active) "
            "VALUES (1, 'XAA-001', 'P', '{}', 1, 1)",
            "INSERT INTO submissions (id, sha256, stored_path, original_filename, uploader, received_at, "
            f"status, report) VALUES (1, 'x', 'p', 'f', '', '{when}', 'accepted', '{{}}')",
            "INSERT INTO returns (id, submission_id, municipality_id, year, status) "
            "VALUES (1, 1, 1, 2023, 'current'), (2, 1, 1, 2022, 'current')",
        ):
            connection.execute(text(statement))
        connection.exec_driver_sql("INSERT INTO raw_values VALUES (?, ?, ?, ?, ?, ?, ?)", raw)
        connection.exec_driver_sql("INSERT INTO indicator_values VALUES (?, ?, ?, ?, ?, ?, ?, ?)", indicators)

    def rows(table: str) -> list[tuple]:
        with engine.connect() as connection:
            return sorted(tuple(r) for r in connection.execute(text(f"SELECT * FROM {table}")))

    upgrade(engine)
    assert rows("raw_values") == sorted(raw)
    assert rows("indicator_values") == sorted(indicators)
    assert len(rows("raw_value_sets")) == 2 and len(rows("indicator_sets")) == 2
    command.downgrade(alembic_config(engine), "0001")
    assert rows("raw_values") == sorted(raw)
    assert rows("indicator_values") == sorted(indicators)
    upgrade(engine)
    assert rows("raw_values") == sorted(raw)
