"""Storing returns on a real SQLite file: the template round trip gives hand-computed indicator
values, a rejected file changes no data, identical files are stored once, revisions supersede,
and exports can be edited and uploaded again."""

from __future__ import annotations

import hashlib
import io

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select, text

from data_ingest.catalog import load_catalog
from data_ingest.db import make_engine, session_scope, upgrade
from data_ingest.export import escape_formula, export_table, write_table
from data_ingest.models import IndicatorValue, Municipality, RawValue, ReturnRecord, Submission
from data_ingest.settings import DEFAULT_CATALOG
from data_ingest.store import import_municipalities, ingest, recompute
from data_ingest.template import write_template

DATA_TABLES = ("raw_values", "indicator_values", "returns")

REGISTER = pd.DataFrame(
    [
        ("XAA", "Aldoria", "N", "North", "XAA-001", "Port Lumen", "50k-250k", "", "yes"),
        ("XAA", "Aldoria", "S", "South", "XAA-002", "Vellmar", "<50k", "Velmar", "yes"),
    ],
    columns=[
        "country_code",
        "country_name",
        "region_code",
        "region_name",
        "municipality_code",
        "municipality_name",
        "population_band",
        "other_names",
        "active",
    ],
)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(DEFAULT_CATALOG)


@pytest.fixture
def engine(settings):
    engine = make_engine(settings)
    upgrade(engine)
    with session_scope(engine) as session:
        import_municipalities(session=session, frame=REGISTER)
    return engine


def filled_template(
    catalog,
    values: dict[tuple[str, str], object],
    *,
    code="XAA-001",
    year=2023,
    lang="en",
    swap_rows: tuple[str, str] | None = None,
) -> tuple[bytes, dict[tuple[str, str], str]]:
    """A template filled in as a clerk would, and the cell (e.g. "D12") of each value written."""
    workbook = write_template(
        catalog, municipality_code=code, municipality_name="Port Lumen", year=year, lang=lang
    )
    sheet = workbook["Data"]
    rows = {sheet.cell(r, 1).value: r for r in range(1, sheet.max_row + 1)}
    columns = {sheet.cell(6, c).value: c for c in range(1, sheet.max_column + 1)}
    if swap_rows:
        a, b = rows[swap_rows[0]], rows[swap_rows[1]]
        for c in range(1, sheet.max_column + 1):
            sheet.cell(a, c).value, sheet.cell(b, c).value = sheet.cell(b, c).value, sheet.cell(a, c).value
        rows[swap_rows[0]], rows[swap_rows[1]] = b, a
    cells = {}
    for (field, disaggregation), value in values.items():
        cell = sheet.cell(rows[field], columns[disaggregation])
        cell.value = value
        cells[(field, disaggregation)] = cell.coordinate
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), cells


def table_checksums(engine) -> dict[str, tuple]:
    with engine.connect() as connection:
        query = "SELECT * FROM {} ORDER BY 1, 2, 3, 4"
        return {t: tuple(connection.execute(text(query.format(t))).all()) for t in DATA_TABLES}


def indicator(engine, code: str, disaggregation: str = "total") -> tuple[float | None, str | None]:
    with session_scope(engine) as session:
        row = session.execute(
            select(IndicatorValue.value, IndicatorValue.missing_reason).where(
                IndicatorValue.indicator == code, IndicatorValue.disaggregation == disaggregation
            )
        ).one()
    return row.value, row.missing_reason


GOOD = {
    ("migrants_employed", "total"): 600,
    ("migrants_working_age", "total"): 1000,
    ("host_employed", "total"): "7,000",  # thousands separator typed as text
    ("host_working_age", "total"): 10000,
    ("migrants_employed", "women"): 250,
    ("migrants_working_age", "women"): 450,
    ("ldp_includes_migration", "total"): "yes",
    ("migrant_children_school_age", "total"): 300,
    ("migrant_children_enrolled", "total"): "..",
    ("population_total", "total"): 12500,
}


def test_template_round_trip_gives_hand_computed_indicators(engine, catalog, settings):
    data, cells = filled_template(catalog, GOOD, swap_rows=("migrants_employed", "population_total"))
    outcome = ingest(engine=engine, catalog=catalog, settings=settings, data=data, filename="return.xlsx")
    assert outcome.status == "accepted", outcome.report.to_text()
    # By hand: 600 / 1000 * 100 = 60; women 250 / 450 * 100 = 55.5...; parity (0.6) / (0.7) = 0.857142...
    assert indicator(engine, "WORK-01") == (pytest.approx(60.0), None)
    assert indicator(engine, "WORK-01", "women")[0] == pytest.approx(250 / 450 * 100)
    assert indicator(engine, "WORK-02")[0] == pytest.approx(0.6 / 0.7)
    assert indicator(engine, "GOV-01")[0] == 1.0
    # Missing is never zero: the marker ".." makes EDU-01 missing, with the reason.
    assert indicator(engine, "EDU-01") == (None, "input migrant_children_enrolled missing (not available)")
    # Every value can be traced to its sheet and cell, even after the clerk reordered rows.
    with session_scope(engine) as session:
        stored = {
            (r.raw_field, r.disaggregation): (r.sheet, r.cell, r.value, r.missing_reason)
            for r in session.scalars(select(RawValue))
        }
        submission = session.scalars(select(Submission)).one()
    for key, cell in cells.items():
        assert stored[key][:2] == ("Data", cell)
    assert stored[("host_employed", "total")][2] == 7000.0
    assert stored[("migrant_children_enrolled", "total")][2:] == (None, "not available")
    assert submission.status == "accepted" and submission.year == 2023
    archived = settings.data_dir / submission.stored_path
    assert archived.name == hashlib.sha256(data).hexdigest()
    assert archived.read_bytes() == data  # byte for byte, named by hash, never by the user's file name


def test_rejected_file_changes_no_data_but_is_kept(engine, catalog, settings):
    data, _ = filled_template(catalog, GOOD)
    assert (
        ingest(engine=engine, catalog=catalog, settings=settings, data=data, filename="a.xlsx").status
        == "accepted"
    )
    before = table_checksums(engine)
    bad, cells = filled_template(catalog, {**GOOD, ("migrants_employed", "total"): "six hundred"}, year=2024)
    outcome = ingest(engine=engine, catalog=catalog, settings=settings, data=bad, filename="bad.xlsx")
    assert outcome.status == "rejected"
    column, row = cells[("migrants_employed", "total")][0], int(cells[("migrants_employed", "total")][1:])
    assert outcome.report.flatten("row", "column", "code") == [(row, column, "not-a-number")]
    assert table_checksums(engine) == before
    with session_scope(engine) as session:
        rejected = session.get(Submission, outcome.submission_id)
        assert rejected.status == "rejected"
        assert rejected.report["errors"] == 1
        assert (settings.data_dir / rejected.stored_path).read_bytes() == bad


def test_identical_file_is_stored_once(engine, catalog, settings):
    data, _ = filled_template(catalog, GOOD)
    first = ingest(engine=engine, catalog=catalog, settings=settings, data=data, filename="a.xlsx")
    before = table_checksums(engine)
    again = ingest(engine=engine, catalog=catalog, settings=settings, data=data, filename="copy of a.xlsx")
    assert again.status == "duplicate"
    assert again.submission_id == first.submission_id
    assert "already received on" in again.report.issues[0].message
    assert table_checksums(engine) == before


def test_revision_supersedes_and_keeps_history(engine, catalog, settings):
    first, _ = filled_template(catalog, GOOD)
    ingest(engine=engine, catalog=catalog, settings=settings, data=first, filename="first.xlsx")
    corrected, _ = filled_template(catalog, {**GOOD, ("migrants_employed", "total"): 650})
    outcome = ingest(engine=engine, catalog=catalog, settings=settings, data=corrected, filename="fixed.xlsx")
    assert outcome.status == "accepted"
    assert indicator(engine, "WORK-01")[0] == pytest.approx(65.0)  # 650 / 1000 * 100
    with session_scope(engine) as session:
        statuses = session.execute(select(Submission.id, Submission.status).order_by(Submission.id)).all()
        returns = session.execute(select(ReturnRecord.status).order_by(ReturnRecord.id)).scalars().all()
        old_values = session.scalars(
            select(RawValue.value)
            .join(ReturnRecord)
            .where(
                ReturnRecord.status == "superseded",
                RawValue.raw_field == "migrants_employed",
                RawValue.disaggregation == "total",
            )
        ).all()
    assert [s for _, s in statuses] == ["superseded", "accepted"]
    assert returns == ["superseded", "current"]
    assert old_values == [600.0]  # the earlier figures stay in the history


def test_warnings_need_confirmation(engine, catalog, settings):
    data, _ = filled_template(catalog, GOOD, year=2022)
    ingest(engine=engine, catalog=catalog, settings=settings, data=data, filename="2022.xlsx")
    jump, _ = filled_template(catalog, {**GOOD, ("population_total", "total"): 30000}, year=2023)
    before = table_checksums(engine)
    outcome = ingest(engine=engine, catalog=catalog, settings=settings, data=jump, filename="2023.xlsx")
    assert outcome.status == "needs-confirmation"
    assert [i.code for i in outcome.report.issues] == ["large-change"]  # 12,500 -> 30,000 is +140 %
    assert table_checksums(engine) == before
    confirmed = ingest(
        engine=engine,
        catalog=catalog,
        settings=settings,
        data=jump,
        filename="2023.xlsx",
        accept_warnings=True,
    )
    assert confirmed.status == "accepted"


def test_raw_export_is_a_valid_upload(engine, catalog, settings, tmp_path):
    data, _ = filled_template(catalog, GOOD)
    ingest(engine=engine, catalog=catalog, settings=settings, data=data, filename="a.xlsx")
    with session_scope(engine) as session:
        raw = export_table(session=session, catalog=catalog, settings=settings, what="raw")
    # Every total of the template is stored (blank ones as "not reported"), plus the two breakdowns.
    assert len(raw) == len(catalog.raw_fields) + 2
    assert raw["value"].notna().sum() == len(GOOD) - 1  # ".." is missing, not a value
    raw.loc[(raw["raw_field_code"] == "migrants_employed") & (raw["disaggregation"] == "total"), "value"] = (
        700
    )
    for fmt in ("csv", "xlsx"):
        path = tmp_path / f"edited.{fmt}"
        write_table(raw, path, fmt)
        outcome = ingest(
            engine=engine, catalog=catalog, settings=settings, data=path.read_bytes(), filename=path.name
        )
        assert outcome.status == "accepted", outcome.report.to_text()
        assert outcome.report.layout == "long"
        assert indicator(engine, "WORK-01")[0] == pytest.approx(70.0)  # 700 / 1000 * 100
        assert indicator(engine, "EDU-01")[1] == "input migrant_children_enrolled missing (not available)"


def test_indicator_export_columns_and_formula_escaping(engine, catalog, settings, tmp_path):
    with session_scope(engine) as session:
        session.execute(text("UPDATE municipalities SET name = '=HYPERLINK(\"x\")' WHERE code = 'XAA-001'"))
    data, _ = filled_template(catalog, GOOD)
    ingest(engine=engine, catalog=catalog, settings=settings, data=data, filename="a.xlsx")
    with session_scope(engine) as session:
        table = export_table(session=session, catalog=catalog, settings=settings, what="indicators")
    path = tmp_path / "indicators.xlsx"
    write_table(table, path, "xlsx")
    sheet = openpyxl.load_workbook(path).active
    header = [c.value for c in sheet[1]]
    assert header == [
        "municipality_code",
        "municipality_name",
        "indicator_code",
        "year",
        "disaggregation",
        "value",
        "missing_reason",
        "unit",
        "status",
        "trend",
        "submission_id",
    ]
    names = {sheet.cell(r, 2).value for r in range(2, sheet.max_row + 1)}
    assert names == {'\'=HYPERLINK("x")'}
    rows = {(sheet.cell(r, 3).value, sheet.cell(r, 5).value): r for r in range(2, sheet.max_row + 1)}
    work01 = rows[("WORK-01", "total")]
    assert sheet.cell(work01, 6).value == pytest.approx(60.0)
    assert sheet.cell(work01, 9).value == "amber"  # 60: between red 50 and green 65
    edu01 = rows[("EDU-01", "total")]
    assert sheet.cell(edu01, 6).value is None  # missing is an empty cell, never 0
    assert escape_formula("+1") == "'+1" and escape_formula("@x") == "'@x" and escape_formula("a=b") == "a=b"


def test_recompute_rederives_every_value(engine, catalog, settings):
    data, _ = filled_template(catalog, GOOD)
    ingest(engine=engine, catalog=catalog, settings=settings, data=data, filename="a.xlsx")
    with engine.begin() as connection:
        # Every stored indicator value becomes -1 (values are packed per set since migration 0002).
        connection.execute(
            text("UPDATE indicator_sets SET numbers = (SELECT json_group_array(-1) FROM json_each(numbers))")
        )
    assert indicator(engine, "WORK-01")[0] == -1
    count = recompute(engine=engine, catalog=catalog)
    assert count > 0
    assert indicator(engine, "WORK-01")[0] == pytest.approx(60.0)


def test_register_import_updates_and_matches_other_names(engine, catalog, settings):
    with session_scope(engine) as session:
        added, updated = import_municipalities(
            session=session, frame=REGISTER.assign(population_band=">250k")
        )
        assert (added, updated) == (0, 2)
        assert (
            session.scalar(select(Municipality.population_band).where(Municipality.code == "XAA-002"))
            == ">250k"
        )


@pytest.mark.parametrize(
    "values",
    [
        {("population_total", "total"): 12500, ("datasets_core_total", "total"): 10},  # numbers only
        {("ldp_includes_migration", "total"): "yes", ("migration_budget_line", "total"): "no"},  # text only
        {("ldp_includes_migration", "total"): 1, ("migration_budget_line", "total"): 0},  # yes/no as 1/0
    ],
    ids=["numbers-only", "text-only", "yes-no-as-numbers"],
)
def test_template_with_one_kind_of_value_is_accepted(engine, catalog, settings, values):
    """Regression: blank cells of a typed column are NaN, not None; they must still count as blank."""
    data, _ = filled_template(catalog, values)
    outcome = ingest(engine=engine, catalog=catalog, settings=settings, data=data, filename="a.xlsx")
    assert outcome.status == "accepted", outcome.report.to_text()
    assert outcome.report.summary["values"] == len(values)
