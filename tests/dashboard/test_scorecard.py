"""The municipality scorecard, without a browser, on the real sample returns of one country (XAA,
loaded by the real loader). Expected values are computed here from the raw sample workbooks and
the METHODOLOGY.md rules, never by calling the code under test."""

from __future__ import annotations

import base64
import datetime as dt
import io
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select

from data_ingest.catalog import load_catalog
from data_ingest.settings import DEFAULT_CATALOG, PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "sample_data"
COUNTRY = "XAA"
MARKERS = {"", "..", ":", "-", "--", "c", "z", "n/a", "s.o.", "n.d."}


# --- test data: the XAA sample returns, loaded once per session by the real loader -------------


def template_values(path: Path) -> dict[str, dict[str, object]]:
    """Raw field code -> {column key ("total", "women", ...): cell value} read straight from a
    filled-in template with openpyxl."""
    sheet = openpyxl.load_workbook(path, read_only=True, data_only=True)["Data"]
    rows = list(sheet.iter_rows(values_only=True))
    keys = next(r for r in rows if len(r) > 3 and r[3] == "total")
    out = {}
    for row in rows:
        if isinstance(row[0], str) and not row[0].startswith("#"):
            out[row[0]] = {k: row[i] for i, k in enumerate(keys) if isinstance(k, str)}
    return out


def sample_file(code: str, year: int) -> Path:
    (path,) = [p for p in (SAMPLE / "returns").iterdir() if f"_{code}_{year}_" in p.name]
    return path


def status_by_hand(value: float, green: float, red: float, higher_is_better: bool) -> str:
    """METHODOLOGY.md: green if at least as good as green, red if worse than red, else amber."""
    if higher_is_better:
        return "green" if value >= green else "red" if value < red else "amber"
    return "green" if value <= green else "red" if value > red else "amber"


def texts(component) -> list[str]:
    """Every string in a Dash component tree, depth first."""
    if component is None:
        return []
    if isinstance(component, str | int | float):
        return [str(component)]
    if isinstance(component, list | tuple):
        return [t for c in component for t in texts(c)]
    return texts(getattr(component, "children", None))


def find(component, id_: str):
    """The component with this id in a Dash component tree, or None."""
    if isinstance(component, list | tuple):
        for c in component:
            hit = find(c, id_)
            if hit is not None:
                return hit
        return None
    if getattr(component, "id", None) == id_:
        return component
    children = getattr(component, "children", None)
    return find(children, id_) if children is not None and not isinstance(children, str) else None


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def settings(xaa_sample_settings):
    return xaa_sample_settings


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(DEFAULT_CATALOG)


@pytest.fixture(scope="module")
def snapshot(settings, catalog):
    from dashboard.queries.snapshot import build_snapshot
    from data_ingest.db import make_engine

    return build_snapshot(make_engine(settings), catalog, settings)


@pytest.fixture(scope="module")
def app(settings):
    from app import create_app

    return create_app(settings)


@pytest.fixture
def request_context(app):
    with app.server.test_request_context("/scorecard"):
        yield


# --- the numbers ---------------------------------------------------------------------------------


def test_work01_value_and_status_match_the_raw_return(snapshot, catalog):
    from dashboard.queries.scorecard import scorecard_table

    raw = template_values(sample_file("XAA-001", 2024))
    expected = float(raw["migrants_employed"]["total"]) / float(raw["migrants_working_age"]["total"]) * 100
    ind = catalog.indicators["WORK-01"]
    expected_status = status_by_hand(expected, ind.green, ind.red, higher_is_better=True)

    row = scorecard_table(snapshot, catalog, "XAA-001").set_index("indicator").loc["WORK-01"]
    assert row["year"] == 2024
    assert row["value"] == pytest.approx(expected)
    assert row["value_text"] == f"{expected:.1f}%"
    assert row["status"] == expected_status
    assert row["target"] == f"{ind.target:g}%"


def test_displayed_scorecard_shows_the_raw_return_values(request_context, catalog):
    from dashboard.pages import scorecard

    raw = template_values(sample_file("XAA-001", 2024))
    work01 = float(raw["migrants_employed"]["total"]) / float(raw["migrants_working_age"]["total"]) * 100
    migrants = float(raw["migrants_employed"]["total"]) / float(raw["migrants_working_age"]["total"])
    host = float(raw["host_employed"]["total"]) / float(raw["host_working_age"]["total"])
    parity = migrants / host
    ind = catalog.indicators["WORK-01"]
    label = {"green": "Good", "amber": "Part way", "red": "Far behind"}[
        status_by_hand(work01, ind.green, ind.red, higher_is_better=True)
    ]

    page = scorecard.layout(municipality="XAA-001")
    assert "San Eulogio" in texts(page.children[0])
    row = " ".join(texts(find(page, "scorecard-row-WORK-01")))
    assert f"{work01:.1f}%" in row
    assert "(2024)" in row
    assert label in row
    parity_row = " ".join(texts(find(page, "scorecard-row-WORK-02")))
    assert f"{parity:.2f}" in parity_row
    gap = round(abs(1 - parity) * 100)
    side = "below" if parity < 1 else "above"
    assert f"migrants' rate is {gap}% {side} the host population's" in parity_row


def test_parity_gap_in_words(catalog):
    from dashboard.queries.scorecard import gap_text

    assert (
        gap_text(catalog.indicators["WORK-02"], 0.86)
        == "0.86: migrants' rate is 14% below the host population's"
    )
    assert (
        gap_text(catalog.indicators["WORK-02"], 1.2)
        == "1.20: migrants' rate is 20% above the host population's"
    )
    assert gap_text(catalog.indicators["WORK-02"], 1.001).endswith("about the same as the host population's")
    assert gap_text(catalog.indicators["WORK-03"], 3.2) == (
        "+3.2 points: migrants' rate is 3.2 points above the host population's"
    )
    assert gap_text(catalog.indicators["WORK-03"], -2.0) == (
        "-2.0 points: migrants' rate is 2.0 points below the host population's"
    )
    assert gap_text(catalog.indicators["WORK-01"], 56.0) is None
    assert gap_text(catalog.indicators["WORK-02"], None) is None


def test_missing_value_shows_no_data_and_the_reason(snapshot, catalog):
    from dashboard.queries.scorecard import scorecard_table

    raw = template_values(sample_file("XAA-001", 2024))
    assert raw["portal_migrant_languages"]["total"] in (None, "")  # left blank in the return
    row = scorecard_table(snapshot, catalog, "XAA-001").set_index("indicator").loc["DIG-05"]
    assert pd.isna(row["value"])
    assert row["value_text"] == "no data"
    assert row["status"] == "no-data"
    assert row["missing_reason"].startswith("input portal_migrant_languages missing")


def test_a_municipality_that_never_reported_shows_no_data_never_zero(request_context, snapshot, catalog):
    from dashboard.pages import scorecard
    from dashboard.queries.scorecard import scorecard_table

    table = scorecard_table(snapshot, catalog, "XBB-001")  # no XBB return is loaded in this data
    assert len(table) == len(catalog.indicators)
    assert table["value"].isna().all()
    assert set(table["missing_reason"]) == {"never reported"}
    assert set(table[table["scored"]]["status"]) == {"no-data"}
    page_text = " ".join(texts(scorecard.layout(municipality="XBB-001")))
    assert "no data" in page_text
    assert "Overall score not shown" in page_text


def test_stale_value_is_marked(request_context, snapshot, catalog):
    from dashboard.pages import scorecard
    from dashboard.queries.scorecard import scorecard_table

    # XAA-002 last reported trafficking victims in 2019: by hand, 2024 - 2019 = 5 > 3 years.
    raw = template_values(sample_file("XAA-002", 2019))
    expected = (
        float(raw["trafficking_victims_assisted"]["total"])
        / float(raw["trafficking_victims_identified"]["total"])
        * 100
    )
    later = template_values(sample_file("XAA-002", 2024))
    assert str(later["trafficking_victims_identified"]["total"] or "").strip() in MARKERS
    row = scorecard_table(snapshot, catalog, "XAA-002").set_index("indicator").loc["RIGHTS-03"]
    assert row["year"] == 2019
    assert row["value"] == pytest.approx(expected)
    assert row["stale"]
    assert row["status_label"].endswith("(stale)")
    shown = " ".join(texts(find(scorecard.layout(municipality="XAA-002"), "scorecard-row-RIGHTS-03")))
    assert "(stale)" in shown


def test_area_status_follows_the_two_worst_rule(request_context, snapshot, catalog):
    from dashboard.pages import scorecard

    me = snapshot.municipality("XAA-001")
    results = snapshot.results[snapshot.results["municipality_id"] == me["id"]].set_index("indicator")
    points = {"green": 2, "amber": 1, "red": 0}
    page = scorecard.layout(municipality="XAA-001")
    labels = {"green": "Good", "amber": "Part way", "red": "Far behind", "no-data": "No data"}
    for area in ("work", "education", "digital"):
        statuses = []
        for ind in catalog.indicators_in(area):
            if not ind.scored:
                continue
            r = results.loc[ind.code] if ind.code in results.index else None
            statuses.append("no-data" if r is None or r["stale"] else r["status"])
        present = sorted(points[s] for s in statuses if s != "no-data")
        if 2 * len(present) < len(statuses):
            expected = "no-data"
        else:
            mean = sum(present[:2]) / len(present[:2])
            expected = "green" if mean == 2 else "red" if mean == 0 else "amber"
        heading = texts(find(page, f"scorecard-area-{area}").children[0])
        assert labels[expected] in heading, (area, statuses, heading)


def test_context_figures_are_never_scored(snapshot, catalog):
    from dashboard.queries.scorecard import scorecard_table

    table = scorecard_table(snapshot, catalog, "XAA-001")
    context = table[table["area"] == "context"]
    assert len(context) == len(catalog.indicators_in("context"))
    assert context["status"].isna().all()
    assert set(context["trend"]) <= {"up", "down", "flat", "insufficient-data"}
    raw = template_values(sample_file("XAA-001", 2024))
    population = context.set_index("indicator").loc["CTX-01"]
    assert population["value"] == float(raw["population_total"]["total"])
    assert population["value_text"] == f"{float(raw['population_total']['total']):,.0f} persons"


def test_compare_with_a_peer(snapshot, catalog):
    from dashboard.queries.scorecard import peers, scorecard_table

    assert list(peers(snapshot, "XAA-001")["code"]) == [f"XAA-00{i}" for i in range(2, 7)]
    raw = template_values(sample_file("XAA-003", 2024))
    expected = float(raw["migrants_employed"]["total"]) / float(raw["migrants_working_age"]["total"]) * 100
    ind = catalog.indicators["WORK-01"]
    row = (
        scorecard_table(snapshot, catalog, "XAA-001", compare="XAA-003").set_index("indicator").loc["WORK-01"]
    )
    assert row["peer"] == "XAA-003"
    assert row["peer_value"] == pytest.approx(expected)
    assert row["peer_status"] == status_by_hand(expected, ind.green, ind.red, higher_is_better=True)


def test_value_sources_name_the_file_and_cells(request_context):
    from dashboard.pages import scorecard

    row = find(scorecard.layout(municipality="XAA-001"), "scorecard-row-WORK-01")
    text = " ".join(texts(row))
    assert "2025-05-16_XAA-001_2024_es.xlsx" in text
    assert "sheet 'Data'" in text
    # The two cells are those of the raw fields in column D (total), found here with openpyxl.
    sheet = openpyxl.load_workbook(sample_file("XAA-001", 2024), read_only=True)["Data"]
    cells = {r[0].value: f"D{r[0].row}" for r in sheet.iter_rows(min_col=1, max_col=1) if r[0].value}
    assert cells["migrants_employed"] in text and cells["migrants_working_age"] in text


# --- reporting history ---------------------------------------------------------------------------


def test_reporting_history_and_completeness(settings, snapshot, catalog):
    from dashboard.queries.scorecard import current_return_ids, field_completeness, reporting_history
    from data_ingest.db import make_engine
    from data_ingest.models import ReturnRecord, Submission

    returned = {
        int(p.name.split("_")[2]) for p in (SAMPLE / "returns").iterdir() if "_XAA-001_" in p.name
    } | {2022}  # the national statistics extract covers every XAA municipality for 2022
    engine = make_engine(settings)
    history = reporting_history(
        snapshot, "XAA-001", field_completeness(engine, catalog, current_return_ids(snapshot, "XAA-001"))
    ).set_index("year")
    assert list(history.index) == list(range(2015, 2025))
    for year, row in history.iterrows():
        assert row["return"] == ("accepted" if year in returned else "missing"), year

    # On time: received before the end of 31 March of the following year, read from the database.
    with engine.connect() as connection:
        received = dict(
            connection.execute(
                select(ReturnRecord.year, Submission.received_at)
                .join(Submission, ReturnRecord.submission_id == Submission.id)
                .where(ReturnRecord.municipality_id == int(snapshot.municipality("XAA-001")["id"]))
            ).all()
        )
    for year, when in received.items():
        assert history.loc[year, "on_time"] == (when < dt.datetime(year + 1, 4, 1))

    # Completeness of 2024: required fields with a value in the return, counted by hand.
    raw = template_values(sample_file("XAA-001", 2024))
    required = [r.code for r in catalog.raw_fields.values() if r.required]
    filled = [f for f in required if f in raw and str(raw[f]["total"] or "").strip() not in MARKERS]
    assert history.loc[2024, "completeness"] == pytest.approx(len(filled) / len(required))


def test_history_summary_in_words():
    from dashboard.queries.scorecard import history_summary

    history = pd.DataFrame(
        {
            "year": [2022, 2023, 2024],
            "return": ["accepted", "missing", "revised"],
            "on_time": [True, None, False],
            "completeness": [1.0, None, 0.5],
        }
    )
    assert history_summary(history) == (
        "Returns for 2 of the 3 years 2022–2024; 1 of them on time; "
        "required fields completed: 75% on average."
    )


# --- choosing a municipality ---------------------------------------------------------------------


def test_search_accepts_a_code_or_the_datalist_text(request_context, snapshot):
    from dashboard.pages.scorecard import target_href
    from dashboard.queries.scorecard import municipality_options, parse_municipality

    options = [v for v, _ in municipality_options(snapshot)]
    assert "XAA-001 — San Eulogio (Alto Cereza, República de Montalvia)" in options
    assert len(options) == 24
    assert (
        parse_municipality("XAA-001 — San Eulogio (Alto Cereza, República de Montalvia)", snapshot)
        == "XAA-001"
    )
    assert parse_municipality("  xaa-002 ", snapshot) == "XAA-002"
    assert parse_municipality("San Eulogio", snapshot) is None  # two of them: the code decides
    assert parse_municipality("", snapshot) is None
    assert target_href("xcc-003") == "/scorecard?municipality=XCC-003"
    assert target_href("nowhere") is None


def test_without_a_municipality_the_page_lists_them_by_country(request_context):
    from dashboard.pages import scorecard

    register = pd.read_csv(SAMPLE / "municipalities.csv")
    page = scorecard.layout()
    listing = find(page, scorecard.MUNICIPALITY_LIST)
    sections = [c for c in listing.children if getattr(c, "className", "") == "scorecard-country"]
    assert len(sections) == register["country_code"].nunique()
    links = [t for t in texts(listing)]
    for name in register["municipality_name"]:
        assert name in links
    unknown = " ".join(texts(scorecard.layout(municipality="ZZZ-999")))
    assert "no municipality with the code “ZZZ-999”" in unknown


# --- figures, downloads, speed -------------------------------------------------------------------


def test_sparkline_is_a_compact_static_line(catalog):
    from dashboard.figures.scorecard import SPARKLINE_CONFIG, sparkline, sparkline_description

    figure = sparkline([2015, 2018, 2024], [50.4, 53.2, 56.4])
    assert figure["data"][0]["x"] == [2015, 2018, 2024]
    assert figure["data"][0]["y"] == [50.4, 53.2, 56.4]
    assert figure["layout"]["xaxis"]["visible"] is False
    assert SPARKLINE_CONFIG["staticPlot"] is True
    assert sparkline_description(catalog.indicators["WORK-01"], [2015, 2024], [50.4, 56.4]) == (
        "WORK-01 over time: 50.4% in 2015 to 56.4% in 2024, 2 values"
    )


def test_downloads_open_with_pandas_and_openpyxl(request_context, catalog):
    from dashboard.components.downloads import send_frame
    from dashboard.pages import scorecard

    raw = template_values(sample_file("XAA-001", 2024))
    work01 = float(raw["migrants_employed"]["total"]) / float(raw["migrants_working_age"]["total"]) * 100
    state = {"municipality": "XAA-001", "compare": "XAA-003"}
    csv = send_frame(*scorecard.scorecard_download(state), "csv")
    assert csv["filename"] == "scorecard-XAA-001.csv"
    frame = pd.read_csv(io.BytesIO(base64.b64decode(csv["content"])), encoding="utf-8-sig")
    assert len(frame) == len(catalog.indicators)
    assert frame.set_index("indicator").loc["WORK-01", "value"] == pytest.approx(work01)
    assert "peer_value" in frame.columns
    xlsx = send_frame(*scorecard.scorecard_download(state), "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(xlsx["content"])))["data"]
    assert sheet.max_row == len(catalog.indicators) + 1
    history = send_frame(*scorecard.history_download(state), "csv")
    years = pd.read_csv(io.BytesIO(base64.b64decode(history["content"])), encoding="utf-8-sig")
    assert list(years["year"]) == list(range(2015, 2025))


def test_scorecard_renders_fast(request_context):
    from dashboard.pages import scorecard

    scorecard.layout(municipality="XAA-003")  # warm the snapshot and the score cache
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        scorecard.layout(municipality="XAA-001", compare="XAA-003")
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.1, timings
