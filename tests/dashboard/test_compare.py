"""The compare page's heatmap data and ranking, without a browser, on a tiny hand-made programme
stored through the real ingestion (full catalogue). The dashboard side reads it with the catalogue
cut down to its governance and digital areas (12 scored indicators), so that a handful of
filled-in cells is enough for a municipality to be ranked; every expected score is worked out by
hand below (score = 100 * value / target, since these indicators' catalogue "worst" is 0), or read
straight from the SQLite tables."""

from __future__ import annotations

import dataclasses
import io
import sqlite3

import pandas as pd
import pytest

from data_ingest.catalog import load_catalog
from data_ingest.settings import DEFAULT_CATALOG, Settings

REGISTER = pd.DataFrame(
    [
        ("XAA", "Aldoria", "N", "North", "XAA-001", "Alpha", "50k-250k", "", "yes"),
        ("XAA", "Aldoria", "S", "South", "XAA-002", "Beta", "<50k", "", "yes"),
        ("XBB", "Borduria", "E", "East", "XBB-001", "Gamma", ">250k", "", "yes"),
        ("XBB", "Borduria", "E", "East", "XBB-002", "Beta", "<50k", "", "yes"),
        ("XBB", "Borduria", "W", "West", "XBB-003", "Delta", "<50k", "", "no"),  # never reported
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

# DIG-02 (parity with the host population) is never filled in: one missing indicator for all.
RETURNS = [
    # Alpha: governance 100, 66.7, 100, 33.3, 50, 0, 100 -> 450/7; digital 60, 90, 30, 100 -> 70.
    ("XAA-001", 2024, {"ldp_includes_migration": "yes", "coordination_mechanism_level": 2,
                       "migration_budget_line": "yes", "migrant_participation_level": 1,
                       "datasets_core_total": 10, "datasets_disaggregated_migratory": 5,
                       "local_mgi_last_5y": "no", "migrant_service_point": "yes",
                       "migrants_internet_pct": 60, "migrants_mobile_phone_pct": 90,
                       "municipal_services_migrant_relevant": 10, "municipal_services_online": 3,
                       "portal_migrant_languages": "yes"}),
    # Beta (South): governance all 100; digital 80, 100, 100 (DIG-04 blank) -> 280/3.
    ("XAA-002", 2024, {"ldp_includes_migration": "yes", "coordination_mechanism_level": 3,
                       "migration_budget_line": "yes", "migrant_participation_level": 3,
                       "datasets_core_total": 10, "datasets_disaggregated_migratory": 10,
                       "local_mgi_last_5y": "yes", "migrant_service_point": "yes",
                       "migrants_internet_pct": 80, "migrants_mobile_phone_pct": 100,
                       "portal_migrant_languages": "yes"}),
    # Gamma: GOV-06 only in 2019 (stale in 2024, so missing for the ranking); governance 100 x 6;
    # digital 50, 50, 50, 0 -> 37.5.
    # (a template holding only one kind of value, text or numbers, is rejected by the reader
    # today: the 2019 return carries a level as well, overwritten in 2022)
    ("XBB-001", 2019, {"local_mgi_last_5y": "yes", "coordination_mechanism_level": 1}),
    ("XBB-001", 2022, {"ldp_includes_migration": "yes", "coordination_mechanism_level": 3,
                       "migration_budget_line": "yes", "migrant_participation_level": 3,
                       "datasets_core_total": 10, "datasets_disaggregated_migratory": 10,
                       "migrant_service_point": "yes",
                       "migrants_internet_pct": 50, "migrants_mobile_phone_pct": 50,
                       "municipal_services_migrant_relevant": 10, "municipal_services_online": 5,
                       "portal_migrant_languages": "no"}),
    # Beta (East): two indicators only -> not ranked.
    ("XBB-002", 2024, {"ldp_includes_migration": "yes", "coordination_mechanism_level": 3}),
]  # fmt: skip

ALPHA = {"governance": 450 / 7, "digital": 70.0}
BETA_SOUTH = {"governance": 100.0, "digital": 280 / 3}
GAMMA = {"governance": 100.0, "digital": 37.5}


def overall(areas: dict[str, float]) -> float:
    return sum(areas.values()) / len(areas)


def small_catalog():
    """The real catalogue, cut down to governance and digital (and the context area it requires)."""
    full = load_catalog(DEFAULT_CATALOG)
    keep = {"governance", "digital", "context"}
    indicators = {c: i for c, i in full.indicators.items() if i.area in {"governance", "digital"}}
    fields = {f for c in indicators for f in full.formulas[c].fields}
    return dataclasses.replace(
        full,
        areas={c: a for c, a in full.areas.items() if c in keep},
        indicators=indicators,
        formulas={c: f for c, f in full.formulas.items() if c in indicators},
        raw_fields={c: r for c, r in full.raw_fields.items() if c in fields},
    )


def filled_template(catalog, code: str, year: int, values: dict[str, object]) -> bytes:
    from data_ingest.template import write_template

    workbook = write_template(catalog, municipality_code=code, municipality_name=code, year=year)
    sheet = workbook["Data"]
    rows = {sheet.cell(r, 1).value: r for r in range(1, sheet.max_row + 1)}
    total = next(c for c in range(1, sheet.max_column + 1) if sheet.cell(6, c).value == "total")
    for field, value in values.items():
        sheet.cell(rows[field], total).value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Settings:
    """The settings of a data folder holding the hand-made programme above."""
    from data_ingest.db import make_engine, session_scope, upgrade
    from data_ingest.store import import_municipalities, ingest

    full = load_catalog(DEFAULT_CATALOG)
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("compare") / "var", secret_key="test", load_sample_data=False
    )
    engine = make_engine(settings)
    upgrade(engine)
    with session_scope(engine) as session:
        import_municipalities(session=session, frame=REGISTER)
    for code, year, values in RETURNS:
        outcome = ingest(
            engine=engine,
            catalog=full,
            settings=settings,
            data=filled_template(full, code, year, values),
            filename=f"{code}_{year}.xlsx",
            accept_warnings=True,
        )
        assert outcome.status == "accepted", outcome.report.to_text()
    engine.dispose()
    return settings


@pytest.fixture(scope="module")
def data(stored):
    """(snapshot, catalog cut down, path of the SQLite file) for the hand-made programme above."""
    from dashboard.queries.snapshot import build_snapshot
    from data_ingest.db import make_engine

    catalog = small_catalog()
    engine = make_engine(stored)
    snapshot = build_snapshot(engine, catalog, stored, ("test-compare",))
    engine.dispose()
    return snapshot, catalog, stored.database_url.removeprefix("sqlite:///")


def sql(db: str, query: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(query, args).fetchall()


def test_the_cut_down_catalogue_has_twelve_scored_indicators(data):
    snapshot, catalog, db = data
    assert sum(i.scored for i in catalog.indicators.values()) == 12
    assert set(snapshot.results["indicator"]) == set(catalog.indicators)
    # Only governance and digital indicators have values (DIG-02 is never filled in).
    with_values = {
        c for (c,) in sql(db, "SELECT DISTINCT indicator FROM indicator_values WHERE value IS NOT NULL")
    }
    assert with_values == set(catalog.indicators) - {"DIG-02"}


def test_ranking_by_overall_score_with_what_each_rank_rests_on(data):
    from dashboard.queries.compare import Filters, ranking

    snapshot, catalog, _ = data
    frame = ranking(snapshot, catalog, Filters())
    assert frame["municipality"].tolist() == ["Beta (South)", "Gamma", "Alpha", "Beta (East)", "Delta"]
    assert frame["rank"].tolist()[:3] == [1, 2, 3]
    assert frame["rank"].isna().tolist() == [False, False, False, True, True]
    assert frame["overall"].tolist()[:3] == pytest.approx(
        [overall(BETA_SOUTH), overall(GAMMA), overall(ALPHA)]
    )
    assert frame["overall"].iloc[3:].isna().all()
    # Missing: Beta (South) DIG-02 and DIG-04; Gamma DIG-02 and its stale GOV-06; Alpha DIG-02 only;
    # Beta (East) ten; Delta everything (12 > 20% of 12 for the last two).
    assert frame["rests_on"].tolist() == [
        "rests on 10 of 12 indicators",
        "rests on 10 of 12 indicators",
        "rests on 11 of 12 indicators",
        "not ranked: too many missing (2 of 12 indicators)",
        "not ranked: too many missing (0 of 12 indicators)",
    ]
    assert frame["active"].tolist() == [True, True, True, True, False]


def test_ranking_follows_the_filters(data):
    from dashboard.queries.compare import parse_filters, ranking

    snapshot, catalog, _ = data

    def names(**params: str) -> list[str]:
        return ranking(snapshot, catalog, parse_filters(snapshot, catalog, **params))["municipality"].tolist()

    assert names(country="XBB") == ["Gamma", "Beta (East)", "Delta"]
    assert names(country="xbb", region="E") == ["Gamma", "Beta (East)"]
    assert names(band="<50k") == ["Beta (South)", "Beta (East)", "Delta"]
    assert names(country="XAA", region="E") == ["Beta (South)", "Alpha"]  # region of another country: dropped
    assert names(country="NOPE") == names()
    frame = ranking(snapshot, catalog, parse_filters(snapshot, catalog, area="digital"))
    assert frame["score_digital"].tolist()[:3] == pytest.approx(
        [BETA_SOUTH["digital"], GAMMA["digital"], ALPHA["digital"]]
    )


def test_filter_options_keep_regions_within_the_country(data):
    from dashboard.queries.compare import filter_options, parse_filters

    snapshot, catalog, _ = data
    options = filter_options(snapshot, catalog, parse_filters(snapshot, catalog, country="XBB"))
    assert options["region"] == [("", "All regions"), ("E", "East"), ("W", "West")]
    assert [v for v, _ in options["band"]] == ["", "<50k", "50k-250k", ">250k"]  # by size, not by name
    assert [v for v, _ in options["area"]] == ["", "governance", "digital"]
    everywhere = filter_options(snapshot, catalog, parse_filters(snapshot, catalog))
    assert ("N", "North (XAA)") in everywhere["region"]


def test_heatmap_frame_holds_every_cell_with_value_unit_year_and_status(data):
    from dashboard.queries.compare import Filters, heatmap_frame

    snapshot, catalog, db = data
    frame = heatmap_frame(snapshot, catalog, Filters())
    assert len(frame) == 5 * 12
    cell = frame.set_index(["municipality_code", "indicator"])
    alpha = cell.loc[("XAA-001", "GOV-05")]
    assert (alpha["value"], alpha["unit"], alpha["year"], alpha["status"]) == (50.0, "%", 2024, "amber")
    assert alpha["score"] == pytest.approx(50.0)
    assert cell.loc[("XAA-001", "GOV-02"), "score"] == pytest.approx(200 / 3)
    assert cell.loc[("XAA-001", "GOV-06"), ["status", "score"]].tolist() == ["red", 0.0]
    stale = cell.loc[("XBB-001", "GOV-06")]
    assert (stale["value"], stale["year"], stale["stale"], stale["status"]) == (1.0, 2019, True, "green")
    never = cell.loc[("XBB-003", "DIG-01")]
    assert (never["status"], never["missing_reason"], pd.isna(never["score"])) == (
        "no-data",
        "never reported",
        True,
    )
    # A blank cell is missing with the reason stored at ingestion, never a zero.
    ((reason,),) = sql(
        db,
        "SELECT v.missing_reason FROM indicator_values v JOIN municipalities m ON m.id = v.municipality_id"
        " WHERE m.code = 'XBB-002' AND v.indicator = 'DIG-01' AND v.disaggregation = 'total'",
    )
    blank = cell.loc[("XBB-002", "DIG-01")]
    assert pd.isna(blank["value"]) and blank["missing_reason"] == reason and reason
    digital = heatmap_frame(snapshot, catalog, Filters(area="digital"), order=("XBB-001",))
    assert digital["indicator"].unique().tolist() == ["DIG-01", "DIG-02", "DIG-03", "DIG-04", "DIG-05"]
    assert digital["municipality_code"].iloc[0] == "XBB-001"


def test_hover_text_and_cell_marks(data):
    from dashboard.queries.compare import Filters, format_value, heatmap_cells, heatmap_frame

    snapshot, catalog, _ = data
    cells = heatmap_cells(heatmap_frame(snapshot, catalog, Filters()), catalog).set_index(
        ["municipality_code", "indicator"]
    )
    hover = cells.loc[("XAA-001", "GOV-05"), "hover"]
    assert "Value: 50% (2024)" in hover and "Status: ◐ Part way" in hover and "Score: 50 / 100" in hover
    assert "Value: level 2 of 3 (2024)" in cells.loc[("XAA-001", "GOV-02"), "hover"]
    assert "Value: yes (2019, stale" in cells.loc[("XBB-001", "GOV-06"), "hover"]
    assert cells.loc[("XBB-001", "GOV-06"), "mark"] == "✔†"
    assert "No data: never reported" in cells.loc[("XBB-003", "GOV-01"), "hover"]
    assert cells.loc[("XBB-003", "GOV-01"), "mark"] == "?"
    assert format_value(12345.6, catalog.indicators["GOV-05"]) == "12,346%"
    assert (
        format_value(0.8571, catalog.indicators["GOV-05"].model_copy(update={"unit": "ratio"}))
        == "0.86 ratio"
    )


def test_heatmap_figure_rows_columns_and_scores(data):
    from dashboard.figures.compare import heatmap_figure
    from dashboard.queries.compare import Filters, heatmap_cells, heatmap_frame

    snapshot, catalog, _ = data
    order = ("XAA-002", "XBB-001", "XAA-001", "XBB-002", "XBB-003")
    fig = heatmap_figure(heatmap_cells(heatmap_frame(snapshot, catalog, Filters(), order=order), catalog))
    (heat,) = fig.data
    assert list(heat.y) == ["Beta (South)", "Gamma", "Alpha", "Beta (East)", "Delta"]
    assert list(heat.x)[:2] == ["GOV-01", "GOV-02"] and len(heat.x) == 12
    assert heat.z[2][4] == pytest.approx(50.0)  # Alpha, GOV-05
    assert heat.z[4][0] is None  # Delta never reported: a gap, not a zero
    assert heat.customdata[2][4][0] == "XAA-001"
    assert (heat.zmin, heat.zmax) == (0, 100)
    assert fig.layout.yaxis.autorange == "reversed"
    assert len(fig.layout.shapes) == 1  # the line between governance and digital


def test_a_click_on_a_cell_opens_the_scorecard():
    from dashboard.queries.compare import href_from_click

    codes = {"Beta (South)": "XAA-002"}
    click = {"points": [{"x": "GOV-01", "y": "Beta (South)", "z": 100}]}
    assert href_from_click(click, codes) == "/scorecard?municipality=XAA-002"
    assert href_from_click(None, codes) is None
    assert href_from_click({"points": [{"y": "Unknown"}]}, codes) is None


def test_page_downloads_and_click_render_on_the_app(stored):
    """The page module's layout, downloads and click callback, on the app's own Flask context
    (with the full catalogue: 45 scored indicators, so nobody here is ranked)."""
    import json

    from plotly.utils import PlotlyJSONEncoder

    from app import create_app

    app = create_app(stored)  # pages register themselves once an app exists
    from dashboard.pages import compare

    with app.server.test_request_context("/compare"):
        text = json.dumps(compare.layout(country="XBB", region="E", band="<50k"), cls=PlotlyJSONEncoder)
        assert "/scorecard?municipality=XBB-002" in text
        assert "not ranked: too many missing" in text
        frame, name = compare.download_frame("heatmap", {"country": "XBB", "area": "digital"})
        assert name == "compare-scores-XBB-digital"
        assert sorted(frame["municipality_code"].unique()) == ["XBB-001", "XBB-002", "XBB-003"]
        frame, name = compare.download_frame("ranking", {"band": "<50k"})
        assert name == "compare-ranking-_50k" and len(frame) == 3
        assert (
            compare._open_scorecard({"points": [{"y": "Gamma"}]}, {"Gamma": "XBB-001"})
            == "/scorecard?municipality=XBB-001"
        )
