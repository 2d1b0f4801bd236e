"""The upload page's work without a browser, on a real SQLite database with the sample register:
a file with errors is kept as a rejected submission and its report names the cells; a file with
warnings is stored only once confirmed; a clean file is stored at once; identical bytes are
recognised; too large, undecodable or crashing uploads give a friendly message; templates."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging

import flask
import openpyxl
import pandas as pd
import pytest
from plotly.utils import PlotlyJSONEncoder
from sqlalchemy import func, select

from dashboard.queries import upload as q
from data_ingest.accounts import Principal
from data_ingest.catalog import load_catalog
from data_ingest.db import make_engine, session_scope, upgrade
from data_ingest.models import ReturnRecord, Submission
from data_ingest.register import read_register
from data_ingest.sample import SAMPLE_DIR
from data_ingest.settings import DEFAULT_CATALOG
from data_ingest.store import import_municipalities, ingest
from data_ingest.template import write_template

PROBLEMS = SAMPLE_DIR / "returns-with-problems"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(DEFAULT_CATALOG)


@pytest.fixture
def engine(settings, catalog):
    """The sample register and Port Halloway's 2024 return (last year's figures for the warnings)."""
    engine = make_engine(settings)
    upgrade(engine)
    with session_scope(engine) as session:
        import_municipalities(
            session=session, frame=read_register((SAMPLE_DIR / "municipalities.csv").read_bytes())
        )
    name = "2025-06-08_XCC-001_2024_en.xlsx"
    outcome = ingest(
        engine=engine,
        catalog=catalog,
        settings=settings,
        data=(SAMPLE_DIR / "returns" / name).read_bytes(),
        filename=name,
        accept_warnings=True,
    )
    assert outcome.status == "accepted"
    return engine


def contents_of(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode()


def upload(engine, catalog, settings, data: bytes, filename: str, **kw) -> q.UploadResult:
    return q.handle_upload(
        engine=engine, catalog=catalog, settings=settings, contents=contents_of(data), filename=filename, **kw
    )


def counts(engine) -> tuple[int, int]:
    with engine.connect() as connection:
        return (
            connection.execute(select(func.count()).select_from(Submission)).scalar_one(),
            connection.execute(select(func.count()).select_from(ReturnRecord)).scalar_one(),
        )


def good_return(catalog, *, code="XEE-004", name="Tafourou-les-Falaises", year=2025) -> tuple[bytes, int]:
    """The template of XEE-004 for 2025 with the totals of its 2024 sample return, the population
    2 % higher; returns the file and the population typed."""
    source = openpyxl.load_workbook(SAMPLE_DIR / "returns" / "2025-02-27_XEE-004_2024_fr.xlsx")["Data"]
    totals = {
        r[0]: r[3]
        for r in source.iter_rows(min_row=8, values_only=True)
        if r[0] and not str(r[0]).startswith("#")
    }
    workbook = write_template(catalog, municipality_code=code, municipality_name=name, year=year, lang="en")
    sheet = workbook["Data"]
    population = round(totals["population_total"] * 1.02)
    for row in sheet.iter_rows(min_row=8):
        field = row[0].value
        if field in totals and totals[field] is not None:
            row[3].value = population if field == "population_total" else totals[field]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), population


def test_file_with_errors_is_kept_as_rejected_and_names_the_cells(engine, catalog, settings):
    before = counts(engine)
    path = PROBLEMS / "template-text-and-negative-count.xlsx"
    result = upload(engine, catalog, settings, path.read_bytes(), path.name)
    assert result.status == "rejected"
    assert result.errors == 2
    assert "Nothing was stored" in result.sentence
    errors = {(i["sheet"], i["cell"], i["code"]) for i in result.issues if i["severity"] == "error"}
    assert errors == {("Data", "D10", "not-a-number"), ("Data", "D14", "negative-value")}
    assert all(i["problem"] and i["how_to_fix"] for i in result.issues)
    # Kept as a rejected submission, with no return: the file is never lost, no data changed.
    assert counts(engine) == (before[0] + 1, before[1])
    with engine.connect() as connection:
        status = connection.execute(select(Submission.status).where(Submission.id == result.submission_id))
        assert status.scalar_one() == "rejected"
    assert (
        f"Validation report of submission {result.submission_id}",
        f"/coverage/submission/{result.submission_id}",
    ) in result.links


def test_identical_file_is_already_received_with_its_date(engine, catalog, settings):
    path = PROBLEMS / "template-text-and-negative-count.xlsx"
    first = upload(engine, catalog, settings, path.read_bytes(), path.name)
    before = counts(engine)
    again = upload(engine, catalog, settings, path.read_bytes(), "renamed.xlsx")
    assert again.status == "duplicate"
    assert again.submission_id == first.submission_id
    with engine.connect() as connection:
        received = connection.execute(
            select(Submission.received_at).where(Submission.id == first.submission_id)
        ).scalar_one()
    assert f"already received on {received:%d %B %Y}" in again.sentence
    assert counts(engine) == before


def test_warnings_wait_for_confirmation_then_the_same_file_is_stored(engine, catalog, settings):
    data = (PROBLEMS / "warnings-only-large-change.xlsx").read_bytes()
    before = counts(engine)
    first = upload(engine, catalog, settings, data, "provisional.xlsx")
    assert first.status == "needs-confirmation"
    assert (first.errors, first.warnings) == (0, 1)
    assert [(i["severity"], i["code"]) for i in first.issues] == [("warning", "large-change")]
    assert counts(engine) == before  # nothing stored until confirmed
    assert first.sha256 == hashlib.sha256(data).hexdigest()
    # A different file cannot be confirmed in its place.
    other = upload(
        engine,
        catalog,
        settings,
        data + b" ",
        "provisional.xlsx",
        accept_warnings=True,
        expected_sha256=first.sha256,
    )
    assert other.status == "changed"
    assert counts(engine) == before
    confirmed = upload(
        engine,
        catalog,
        settings,
        data,
        "provisional.xlsx",
        accept_warnings=True,
        expected_sha256=first.sha256,
    )
    assert confirmed.status == "accepted"
    assert "1 warning confirmed" in confirmed.sentence
    assert (
        "See the updated scorecard of Port Halloway",
        "/scorecard?municipality=XCC-001",
    ) in confirmed.links
    with engine.connect() as connection:
        years = (
            connection.execute(
                select(ReturnRecord.year).where(ReturnRecord.submission_id == confirmed.submission_id)
            )
            .scalars()
            .all()
        )
    assert years == [2025]


def test_clean_file_is_stored_at_once(engine, catalog, settings):
    data, population = good_return(catalog)
    result = upload(engine, catalog, settings, data, "tafourou-2025.xlsx")
    assert result.status == "accepted", result.to_dict()
    assert result.headline == "Accepted"
    assert (result.errors, result.warnings) == (0, 0)
    assert "Your 2025 return for Tafourou-les-Falaises (XEE-004)" in result.sentence
    assert result.links[0] == (
        "See the updated scorecard of Tafourou-les-Falaises",
        "/scorecard?municipality=XEE-004",
    )
    with engine.connect() as connection:
        stored = connection.execute(
            select(func.count())
            .select_from(ReturnRecord)
            .where(ReturnRecord.submission_id == result.submission_id)
        ).scalar_one()
    assert stored == 1


def test_extract_for_many_municipalities_links_to_the_coverage(engine, catalog, settings):
    path = SAMPLE_DIR / "returns" / "2023-04-18_XAA_national-statistics-extract_2022.xlsx"
    result = upload(engine, catalog, settings, path.read_bytes(), path.name, accept_warnings=True)
    assert result.status == "accepted"
    assert "The figures for 6 municipalities (2022)" in result.sentence
    assert result.links[0] == ("See the reporting coverage", "/coverage")


def test_too_large_and_undecodable_files_store_nothing(engine, catalog, settings):
    before = counts(engine)
    big = upload(engine, catalog, settings, b"x" * 2000, "big.xlsx", limit=1024)
    assert big.status == "too-large"
    assert "This file is 2 kB: the largest file accepted is 1 kB." in big.sentence
    broken = q.handle_upload(
        engine=engine,
        catalog=catalog,
        settings=settings,
        contents="data:;base64,@@not base64@@",
        filename="x.xlsx",
    )
    assert broken.status == "unreadable"
    nothing = q.handle_upload(engine=engine, catalog=catalog, settings=settings, contents="", filename=None)
    assert nothing.status == "unreadable"
    assert counts(engine) == before


def test_an_unexpected_failure_is_logged_not_shown(engine, catalog, settings, monkeypatch, caplog):
    def boom(**_kw):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(q, "ingest", boom)
    with caplog.at_level(logging.ERROR, logger="migdash"):
        result = upload(engine, catalog, settings, b"PK whatever", "r.xlsx")
    assert result.status == "failed"
    text = json.dumps(result.to_dict())
    assert "disk on fire" not in text and "Traceback" not in text
    reference = result.guidance[0].rsplit(" ", 1)[-1].rstrip(".")
    record = next(r for r in caplog.records if r.name == "migdash")
    assert reference in record.getMessage()
    assert record.exc_info and "disk on fire" in str(record.exc_info[1])


def test_issue_rows_from_a_stored_report():
    report = {
        "issues": [
            {
                "code": "not-a-number",
                "severity": "error",
                "message": "m",
                "hint": "h",
                "sheet": "Data",
                "row": 10,
                "column": "D",
            },
            {
                "code": "outlier",
                "severity": "warning",
                "message": "m2",
                "hint": "h2",
                "sheet": None,
                "row": None,
                "column": "F",
            },
            {"code": "empty-file", "severity": "error", "message": "m3", "hint": "h3"},
        ]
    }
    assert q.issue_rows(report) == [
        {
            "sheet": "Data",
            "cell": "D10",
            "severity": "error",
            "problem": "m",
            "how_to_fix": "h",
            "code": "not-a-number",
        },
        {
            "sheet": "",
            "cell": "F",
            "severity": "warning",
            "problem": "m2",
            "how_to_fix": "h2",
            "code": "outlier",
        },
        {
            "sheet": "",
            "cell": "",
            "severity": "error",
            "problem": "m3",
            "how_to_fix": "h3",
            "code": "empty-file",
        },
    ]
    frame = q.issues_frame(q.issue_rows(report))
    assert frame["severity"].tolist() == ["Error", "Warning", "Error"]
    assert q.count_text(2, 1) == "2 errors and 1 warning"
    assert q.count_text(1, 0) == "1 error"
    assert q.count_text(0, 0) == "no problem"


def test_limits(settings):
    mb = 1024 * 1024
    assert q.limit_bytes(settings) == 20 * mb
    assert q.effective_limit(settings, None) == 20 * mb
    # A 20 MB request carries a base64 file of at most 3/4 of it (less the request's envelope).
    assert q.effective_limit(settings, 20 * mb) == int((20 * mb - 64 * 1024) * 3 / 4)
    assert q.size_text(830) == "830 bytes"
    assert q.size_text(12 * 1024) == "12 kB"
    assert q.size_text(int(3.46 * mb)) == "3.5 MB"
    assert q.size_text(20 * mb) == "20 MB"


# --- the template


@pytest.fixture(scope="module")
def register() -> pd.DataFrame:
    frame = read_register((SAMPLE_DIR / "municipalities.csv").read_bytes())
    return frame.rename(
        columns={
            "municipality_code": "code",
            "municipality_name": "name",
            "region_name": "region",
            "country_name": "country",
        }
    ).assign(active=lambda f: f["active"].str.casefold().eq("yes"))


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("XAA-003", "XAA-003"),
        ("xaa-003", "XAA-003"),
        ("Villa Carmesí (XAA-003)", "XAA-003"),
        ("villa carmesi", "XAA-003"),  # accents and case do not matter
        ("  Ndiamar ", "XEE-003"),
    ],
)
def test_municipality_is_found_by_code_or_unique_name(register, typed, code):
    row, message = q.resolve_municipality(register, typed)
    assert (row["code"], message) == (code, "")


def test_ambiguous_unknown_or_empty_municipality_says_what_to_do(register):
    row, message = q.resolve_municipality(register, "San Eulogio")
    assert row is None and "XAA-001" in message and "XAA-002" in message
    row, message = q.resolve_municipality(register, "Atlantis")
    assert row is None and "not a municipality of the register" in message
    row, message = q.resolve_municipality(register, "")
    assert row is None and message.startswith("Choose your municipality")


def test_options_put_inactive_municipalities_last(register):
    options = q.municipality_options(register)
    assert len(options) == 24
    assert options[-1] == ("XCC-003", "Hollin Ridge — Greywater Parish, Republic of Carrowmere (inactive)")
    assert options[0][0] == "XAA-001"


@pytest.mark.parametrize(
    ("value", "year"),
    [(2025, 2025), ("2024", 2024), (1999, None), (2027, None), ("abc", None), (2025.5, None), (None, None)],
)
def test_year_is_checked(value, year):
    got, message = q.check_year(value, 2000, 2026)
    assert got == year
    assert (message == "") == (year is not None)


def test_template_file_has_the_municipality_and_year(catalog):
    data, name = q.template_bytes(catalog, code="XEE-003", name="Ndiamar", year=2025, lang="fr")
    assert name == "migdash-return-XEE-003-2025-fr.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Mode d'emploi", "Data"]
    assert (workbook["Data"]["C3"].value, workbook["Data"]["C4"].value) == ("XEE-003", 2025)
    assert q.template_bytes(catalog, code="X", name="X", year=2025, lang="xx")[1].endswith("-en.xlsx")


# --- the page's rendering


def test_every_outcome_renders_without_a_browser(engine, catalog, settings):
    from app import create_app

    app = create_app(settings)  # pages register themselves once an app exists
    from dashboard.pages import upload as page

    path = PROBLEMS / "template-text-and-negative-count.xlsx"
    results = [
        upload(engine, catalog, settings, path.read_bytes(), path.name),
        upload(engine, catalog, settings, path.read_bytes(), path.name),
        upload(engine, catalog, settings, b"x" * 10, "big.xlsx", limit=5),
    ]
    with app.server.test_request_context("/upload"):
        anonymous = json.dumps(page.layout(municipality="XEE-003", year="2023"), cls=PlotlyJSONEncoder)
        assert "/login?next=/upload%3Fmunicipality%3DXEE-003%26year%3D2023" in anonymous
        assert "upload-file" not in anonymous
        flask.g.principal = Principal("paul", "programme")
        layout = json.dumps(page.layout(municipality="XEE-003", year="2023"), cls=PlotlyJSONEncoder)
        assert '"value": "XEE-003"' in layout and '"value": 2023' in layout
        for result in results:
            html = json.dumps(page.render_result(result.to_dict()), cls=PlotlyJSONEncoder)
            assert result.headline in html
        assert "D10" in json.dumps(page.render_result(results[0].to_dict()), cls=PlotlyJSONEncoder)
