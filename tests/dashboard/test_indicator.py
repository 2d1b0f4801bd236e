"""The indicator page, without a browser, on the real sample returns of one country (XAA, loaded
by the real loader). Expected values come from the raw sample workbooks read here with openpyxl,
and from the catalogue's thresholds, never from the code under test."""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from data_ingest.catalog import load_catalog
from data_ingest.settings import DEFAULT_CATALOG, PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "sample_data"
COUNTRY = "XAA"


def template_values(path: Path) -> dict[str, dict[str, object]]:
    """Raw field code -> {column key ("total", "women", ...): cell value}, read with openpyxl."""
    sheet = openpyxl.load_workbook(path, read_only=True, data_only=True)["Data"]
    rows = list(sheet.iter_rows(values_only=True))
    keys = next(r for r in rows if len(r) > 3 and r[3] == "total")
    return {
        row[0]: {k: row[i] for i, k in enumerate(keys) if isinstance(k, str)}
        for row in rows
        if isinstance(row[0], str) and not row[0].startswith("#")
    }


def template_files(code: str) -> dict[int, Path]:
    """Year -> the sample template a municipality sent for it (from the file names)."""
    return {
        int(p.name.split("_")[2]): p
        for p in (SAMPLE / "returns").iterdir()
        if f"_{code}_" in p.name and p.suffix == ".xlsx"
    }


def work01_by_hand(code: str, column: str = "total") -> dict[int, float]:
    """WORK-01 = migrants_employed / migrants_working_age * 100 from each template of a municipality."""
    out = {}
    for year, path in template_files(code).items():
        raw = template_values(path)
        employed, working_age = raw["migrants_employed"][column], raw["migrants_working_age"][column]
        if isinstance(employed, int | float) and isinstance(working_age, int | float):
            out[year] = employed / working_age * 100
    return out


def texts(component) -> list[str]:
    if component is None:
        return []
    if isinstance(component, str | int | float):
        return [str(component)]
    if isinstance(component, list | tuple):
        return [t for c in component for t in texts(c)]
    return texts(getattr(component, "children", None))


def find(component, id_: str):
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
    with app.server.test_request_context("/indicator"):
        yield


# --- the series ----------------------------------------------------------------------------------


def test_series_match_the_raw_returns(snapshot, catalog):
    from dashboard.queries.indicator import chart_frame

    ind = catalog.indicators["WORK-01"]
    frame = chart_frame(snapshot, ind, ["XAA-003", "XAA-001"])
    assert list(dict.fromkeys(frame["municipality_code"])) == ["XAA-003", "XAA-001"]  # in the asked order
    for code in ("XAA-001", "XAA-003"):
        mine = frame[frame["municipality_code"] == code].set_index("year")
        assert list(mine.index) == sorted(mine.index)
        for year, expected in work01_by_hand(code).items():
            assert mine.loc[year, "value"] == pytest.approx(expected), (code, year)
            assert mine.loc[year, "value_text"] == f"{expected:.1f}%"
    # 2022 comes from the national statistics extract: numbers stored as text with "." for thousands.
    sheet = openpyxl.load_workbook(
        SAMPLE / "returns" / "2023-04-18_XAA_national-statistics-extract_2022.xlsx", read_only=True
    )["Cuadro 3"]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "Provincia")
    carmesi = next(r for r in rows if r[1] == "V. Carmesí")
    employed = int(carmesi[header.index("Migrantes ocupados")].replace(".", ""))
    working_age = int(carmesi[header.index("Población migrante de 15 a 64 años")].replace(".", ""))
    mine = frame[frame["municipality_code"] == "XAA-003"].set_index("year")
    assert mine.loc[2022, "value"] == pytest.approx(employed / working_age * 100)


def test_breakdown_by_sex_matches_the_raw_columns(snapshot, catalog):
    from dashboard.queries.indicator import chart_frame, disaggregation_options, parse_disaggregation

    ind = catalog.indicators["WORK-01"]
    options = dict(disaggregation_options(catalog, ind))
    assert list(options)[:3] == ["total", "women", "men"]
    assert "immigrants" not in options  # WORK-01 has no breakdown by migratory status
    assert parse_disaggregation(catalog, ind, "Women") == "women"
    assert parse_disaggregation(catalog, ind, "refugees") == "total"
    assert parse_disaggregation(catalog, ind, None) == "total"
    frame = chart_frame(snapshot, ind, ["XAA-001"], "women").set_index("year")
    expected = work01_by_hand("XAA-001", "women")
    assert expected, "the sample should give a breakdown by sex for XAA-001"
    for year, value in expected.items():
        assert frame.loc[year, "value"] == pytest.approx(value)
    assert set(frame["disaggregation"]) == {"women"}


def test_missing_values_keep_their_reason(snapshot, catalog):
    from dashboard.queries.indicator import chart_frame

    frame = chart_frame(snapshot, catalog.indicators["DIG-05"], ["XAA-001"])
    assert not frame.empty
    assert frame["value"].isna().all()
    assert set(frame["value_text"]) == {"no data"}
    assert all(r.startswith("input portal_migrant_languages missing") for r in frame["missing_reason"])


def test_latest_status_from_the_thresholds(snapshot, catalog):
    from dashboard.queries.indicator import latest_frame

    ind = catalog.indicators["WORK-01"]
    by_hand = work01_by_hand("XAA-001")
    latest_year = max(by_hand)
    value = by_hand[latest_year]
    expected = "green" if value >= ind.green else "red" if value < ind.red else "amber"
    row = latest_frame(snapshot, ind, ["XAA-001", "XBB-001"]).set_index("municipality_code")
    assert row.loc["XAA-001", "year"] == latest_year
    assert row.loc["XAA-001", "value"] == pytest.approx(value)
    assert row.loc["XAA-001", "status"] == expected
    assert row.loc["XBB-001", "status"] == "no-data"  # no XBB return in this data: no data, not zero
    assert row.loc["XBB-001", "value_text"] == "no data"


# --- choosing ------------------------------------------------------------------------------------


def test_selection_of_municipalities(snapshot):
    from dashboard.queries.indicator import select_municipalities, toggled

    register = pd.read_csv(SAMPLE / "municipalities.csv")
    first_country = sorted(register["country_code"])[0]
    default = select_municipalities(snapshot, None, None)
    assert default.codes == list(register[register["country_code"] == first_country]["municipality_code"])
    assert default.country == first_country and not default.explicit
    xbb = select_municipalities(snapshot, None, "xbb")
    assert xbb.codes == list(register[register["country_code"] == "XBB"]["municipality_code"])
    chosen = select_municipalities(snapshot, "xaa-003, XAA-001,bogus,XAA-003", "XBB")
    assert chosen.codes == ["XAA-003", "XAA-001"] and chosen.explicit
    assert select_municipalities(snapshot, "bogus", None).codes == default.codes
    assert toggled(["A", "B"], "A") == ["B"]
    assert toggled(["A", "B"], "C") == ["A", "B", "C"]


def test_search_accepts_a_code_or_the_datalist_text(request_context, catalog):
    from dashboard.pages.indicator import target_href
    from dashboard.queries.indicator import indicator_options, parse_indicator

    text = f"WORK-02 — {catalog.indicators['WORK-02'].name.en}"
    assert (text, text) in indicator_options(catalog)
    assert parse_indicator(text, catalog) == "WORK-02"
    assert parse_indicator(" work-02", catalog) == "WORK-02"
    assert parse_indicator(catalog.indicators["EDU-01"].name.en.upper(), catalog) == "EDU-01"
    assert parse_indicator("nothing like it", catalog) is None
    assert target_href("edu-01", {"municipalities": "XAA-001,XAA-002"}) == (
        "/indicator?code=EDU-01&municipalities=XAA-001%2CXAA-002"
    )
    assert target_href("nope", {}) is None


# --- the chart -----------------------------------------------------------------------------------


def _band(bands, status):
    return [(b["low"], b["high"]) for b in bands if b["status"] == status]


def test_threshold_bands_follow_the_direction(catalog):
    from dashboard.figures.indicator import bands

    work01 = catalog.indicators["WORK-01"]  # increase: green 65 and above, red below 50
    assert _band(bands(work01), "green") == [(work01.green, None)]
    assert _band(bands(work01), "red") == [(None, work01.red)]
    rem01 = catalog.indicators["REM-01"]  # decrease: the green band is below
    assert _band(bands(rem01), "green") == [(None, rem01.green)]
    assert _band(bands(rem01), "red") == [(rem01.red, None)]
    work02 = catalog.indicators["WORK-02"]  # parity 1.0, green within 0.05, red beyond 0.15
    assert _band(bands(work02), "green") == [(pytest.approx(0.95), pytest.approx(1.05))]
    assert sorted(_band(bands(work02), "red"), key=str) == sorted(
        [(pytest.approx(1.15), None), (None, pytest.approx(0.85))], key=str
    )
    assert bands(catalog.indicators["CTX-01"]) == []


def test_chart_draws_lines_target_and_bands(snapshot, catalog):
    from dashboard.figures.indicator import indicator_chart
    from dashboard.queries.indicator import chart_frame

    ind = catalog.indicators["WORK-01"]
    frame = chart_frame(snapshot, ind, ["XAA-001", "XAA-003"])
    figure = indicator_chart(frame, ind, target_year=2030)
    lines = [t for t in figure.data if t.mode == "lines+markers"]
    assert [t.name for t in lines] == ["San Eulogio (XAA-001)", "Villa Carmesí (XAA-003)"]
    by_hand = work01_by_hand("XAA-001")
    drawn = dict(zip(lines[0].x, lines[0].y, strict=True))
    for year, value in by_hand.items():
        assert drawn[year] == pytest.approx(value)
    assert lines[0].marker.symbol != lines[1].marker.symbol  # told apart without colour
    (target,) = [t for t in figure.data if t.mode == "lines"]
    assert list(target.y) == [ind.target, ind.target]
    assert target.x[-1] == 2030
    assert figure.layout.xaxis.range[1] >= 2030
    rects = [s for s in figure.layout.shapes if s.type == "rect"]
    low, high = figure.layout.yaxis.range
    green = [s for s in rects if "0,158,115" in s.fillcolor]
    red = [s for s in rects if "213,94,0" in s.fillcolor]
    assert [(s.y0, s.y1) for s in green] == [(ind.green, high)]
    assert [(s.y0, s.y1) for s in red] == [(low, ind.red)]
    assert -5 <= low and high <= 105  # within the indicator's bounds [0, 100], give or take 5%
    legend = [t.name for t in figure.data if t.mode == "markers"]
    assert any(name.startswith("Good") for name in legend) and any(
        name.startswith("Far behind") for name in legend
    )


def test_yes_no_chart_shows_both_zones(snapshot, catalog):
    from dashboard.figures.indicator import indicator_chart
    from dashboard.queries.indicator import chart_frame

    ind = catalog.indicators["GOV-01"]  # yes/no: 1 is green, 0 is red
    figure = indicator_chart(chart_frame(snapshot, ind, ["XAA-001", "XAA-002"]), ind)
    low, high = figure.layout.yaxis.range
    assert low < 0 and high > 1  # the points on 0 and 1 are not cut in half
    rects = {("green" if "0,158,115" in s.fillcolor else "red"): (s.y0, s.y1) for s in figure.layout.shapes}
    assert rects == {"green": (1, high), "red": (low, 1)}
    legend = [t.name for t in figure.data if t.mode == "markers"]
    assert legend == ["Good: Yes", "Far behind: No"]


def test_parity_chart_bands_surround_parity(snapshot, catalog):
    from dashboard.figures.indicator import indicator_chart
    from dashboard.queries.indicator import chart_frame

    ind = catalog.indicators["WORK-02"]
    figure = indicator_chart(chart_frame(snapshot, ind, ["XAA-001"]), ind)
    rects = [s for s in figure.layout.shapes if s.type == "rect"]
    green = [(s.y0, s.y1) for s in rects if "0,158,115" in s.fillcolor]
    assert green == [(pytest.approx(ind.parity - ind.green), pytest.approx(ind.parity + ind.green))]
    (target,) = [t for t in figure.data if t.mode == "lines"]
    assert list(target.y) == [ind.parity, ind.parity]


# --- the page ------------------------------------------------------------------------------------


def test_page_shows_values_table_and_definition(request_context, catalog):
    from dashboard.pages import indicator

    ind = catalog.indicators["WORK-01"]
    page = indicator.layout(code="work-01", municipalities="XAA-001,XAA-003")
    assert ind.name.en in texts(page.children[0])
    table = " ".join(texts(find(page, indicator.TABLE)))
    for year, value in work01_by_hand("XAA-001").items():
        assert f"{value:.1f}%" in table, year
    definition = " ".join(texts(find(page, indicator.DEFINITION)))
    assert ind.source in definition and ind.description.en in definition
    graph = find(page, indicator.CHART)
    assert len([t for t in graph.figure.data if t.mode == "lines+markers"]) == 2
    # Each municipality can be toggled out of and into the selection with a link.
    links = find(page, indicator.MUNICIPALITIES)
    rendered = str(links.to_plotly_json())
    assert "municipalities=XAA-003" in rendered  # removing XAA-001 leaves XAA-003
    assert "municipalities=XAA-001%2CXAA-003%2CXAA-004" in rendered  # adding XAA-004


def test_page_handles_unknown_codes_context_figures_and_empty_breakdowns(request_context):
    from dashboard.pages import indicator

    chooser = " ".join(texts(indicator.layout()))
    assert "Browse indicators by thematic area" in chooser
    assert "no indicator with the code “NOPE-01”" in " ".join(texts(indicator.layout(code="NOPE-01")))
    context = " ".join(texts(indicator.layout(code="CTX-01")))
    assert "never scored" in context
    empty = " ".join(texts(indicator.layout(code="WORK-04", disaggregation="refugees")))
    assert "No values of this indicator" in empty


def test_downloads_open_with_pandas_and_openpyxl(request_context):
    from dashboard.components.downloads import send_frame
    from dashboard.pages import indicator

    state = {"code": "WORK-01", "codes": ["XAA-001", "XAA-003"], "disaggregation": "total"}
    csv = send_frame(*indicator.chart_table(state), "csv")
    frame = pd.read_csv(io.BytesIO(base64.b64decode(csv["content"])), encoding="utf-8-sig")
    expected_rows = sum(len(work01_by_hand(c)) for c in ("XAA-001", "XAA-003")) + 2  # + 2022 extract
    assert len(frame) == expected_rows
    assert set(frame.columns) >= {"municipality_code", "year", "value", "unit", "missing_reason"}
    xlsx = send_frame(*indicator.chart_table(state), "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(xlsx["content"])))["data"]
    assert sheet.max_row == expected_rows + 1


def test_indicator_page_renders_fast(request_context):
    from dashboard.pages import indicator

    indicator.layout(code="WORK-02")
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        indicator.layout(code="WORK-01", disaggregation="women")
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.1, timings
