"""The overview's numbers, without a browser, on a tiny hand-made programme stored through the real
ingestion (templates filled in with openpyxl, as a clerk would). Every expected number is worked
out by hand below from METHODOLOGY.md, or counted straight from the SQLite tables."""

from __future__ import annotations

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
        ("XBB", "Borduria", "E", "East", "XBB-002", "Delta", "<50k", "", "no"),
        ("XBB", "Borduria", "E", "East", "XBB-003", "Beta", "<50k", "", "yes"),  # never reports
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

# Governance raw fields -> indicators: ldp_includes_migration GOV-01 (yes/no, green 1 red 1),
# coordination_mechanism_level GOV-02 (level, green 3 red 2), migration_budget_line GOV-03,
# migrant_participation_level GOV-04 (level), datasets_disaggregated_migratory /
# datasets_core_total * 100 GOV-05 (%, green 80 red 50, target 100), local_mgi_last_5y GOV-06,
# migrant_service_point GOV-07. Every other area is left blank.
RETURNS = [
    # Alpha: 2024 GOV-01 yes green, GOV-02 2 amber, GOV-03 no red, GOV-04 1 red, GOV-05 80% green.
    ("XAA-001", 2020, {"ldp_includes_migration": "no", "coordination_mechanism_level": 1,
                       "migration_budget_line": "no", "migrant_participation_level": 3,
                       "datasets_core_total": 20, "datasets_disaggregated_migratory": 8}),
    ("XAA-001", 2022, {"ldp_includes_migration": "yes", "coordination_mechanism_level": 2,
                       "migration_budget_line": "no", "migrant_participation_level": 2,
                       "datasets_core_total": 20, "datasets_disaggregated_migratory": 12}),
    ("XAA-001", 2024, {"ldp_includes_migration": "yes", "coordination_mechanism_level": 2,
                       "migration_budget_line": "no", "migrant_participation_level": 1,
                       "datasets_core_total": 20, "datasets_disaggregated_migratory": 16}),
    # Beta (South): everything green in 2024; the first 2024 file is revised (GOV-03 no -> yes).
    ("XAA-002", 2020, {"ldp_includes_migration": "no", "coordination_mechanism_level": 1,
                       "migration_budget_line": "no", "migrant_participation_level": 3,
                       "datasets_core_total": 10, "datasets_disaggregated_migratory": 3,
                       "local_mgi_last_5y": "no", "migrant_service_point": "no"}),
    ("XAA-002", 2024, {"ldp_includes_migration": "yes", "coordination_mechanism_level": 3,
                       "migration_budget_line": "no", "migrant_participation_level": 3,
                       "datasets_core_total": 10, "datasets_disaggregated_migratory": 9,
                       "local_mgi_last_5y": "yes", "migrant_service_point": "yes"}),
    ("XAA-002", 2024, {"ldp_includes_migration": "yes", "coordination_mechanism_level": 3,
                       "migration_budget_line": "yes", "migrant_participation_level": 3,
                       "datasets_core_total": 10, "datasets_disaggregated_migratory": 9,
                       "local_mgi_last_5y": "yes", "migrant_service_point": "yes"}),
    # Gamma: no 2024 return; its 2022 values are current, its 2019-only GOV-06 is stale.
    ("XBB-001", 2019, {"ldp_includes_migration": "yes", "coordination_mechanism_level": 1,
                       "migrant_participation_level": 3, "local_mgi_last_5y": "yes"}),
    ("XBB-001", 2022, {"ldp_includes_migration": "yes", "coordination_mechanism_level": 2,
                       "migration_budget_line": "yes", "migrant_participation_level": 2,
                       "datasets_core_total": 10, "datasets_disaggregated_migratory": 6}),
    # Delta has left the programme: its only return is stale and it is not expected to report.
    ("XBB-002", 2019, {"ldp_includes_migration": "yes", "coordination_mechanism_level": 3}),
]  # fmt: skip

ON_TIME = ("XAA-001", 2024)  # its submission is dated before the deadline (31 March 2025)


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

    catalog = load_catalog(DEFAULT_CATALOG)
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("overview") / "var", secret_key="test", load_sample_data=False
    )
    engine = make_engine(settings)
    upgrade(engine)
    with session_scope(engine) as session:
        import_municipalities(session=session, frame=REGISTER)
    for code, year, values in RETURNS:
        outcome = ingest(
            engine=engine,
            catalog=catalog,
            settings=settings,
            data=filled_template(catalog, code, year, values),
            filename=f"{code}_{year}.xlsx",
            accept_warnings=True,
        )
        assert outcome.status == "accepted", outcome.report.to_text()
    db = settings.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as connection:
        connection.execute(
            "UPDATE submissions SET received_at = '2025-02-01 10:00:00.000000' WHERE id = ("
            " SELECT s.id FROM submissions s JOIN municipalities m ON m.id = s.municipality_id"
            " WHERE m.code = ? AND s.year = ?)",
            ON_TIME,
        )
    engine.dispose()
    return settings


@pytest.fixture(scope="module")
def data(stored):
    """(snapshot, catalog, path of the SQLite file) for the hand-made programme above."""
    from dashboard.queries.snapshot import build_snapshot
    from data_ingest.db import make_engine

    catalog = load_catalog(DEFAULT_CATALOG)
    engine = make_engine(stored)
    snapshot = build_snapshot(engine, catalog, stored, ("test-overview",))
    engine.dispose()
    return snapshot, catalog, stored.database_url.removeprefix("sqlite:///")


def sql(db: str, query: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(query, args).fetchall()


def test_headline_counts_returns_and_reporting_rate_from_the_tables(data):
    from dashboard.queries.overview import headline

    snapshot, _, db = data
    head = headline(snapshot)
    (latest,) = sql(db, "SELECT max(year) FROM returns WHERE status = 'current'")[0]
    (n_all,) = sql(db, "SELECT count(*) FROM municipalities")[0]
    (n_active,) = sql(db, "SELECT count(*) FROM municipalities WHERE active")[0]
    (n_received,) = sql(
        db,
        "SELECT count(DISTINCT municipality_id) FROM returns WHERE year = ? AND status = 'current'",
        latest,
    )[0]
    (n_returns,) = sql(db, "SELECT count(*) FROM returns WHERE year = ?", latest)[0]
    assert (latest, n_all, n_active, n_received, n_returns) == (2024, 5, 4, 2, 3)  # Beta's revision
    assert head.year == 2024
    assert head.n_municipalities == n_all
    assert head.n_active == n_active
    assert head.n_received == n_received == head.n_reporting
    assert head.reporting_rate == pytest.approx(2 / 4)
    assert head.n_on_time == 1  # Alpha's return; Beta's revision came late


def test_headline_status_and_trend_shares_over_current_values(data):
    from dashboard.queries.overview import headline

    snapshot, catalog, db = data
    head = headline(snapshot)
    # By hand (latest values of the active municipalities; Gamma's GOV-06 of 2019 is stale):
    # Alpha  G GOV-01 GOV-05, A GOV-02, R GOV-03 GOV-04;  Beta  G x7;  Gamma  G GOV-01 GOV-03,
    # A GOV-02 (level 2) GOV-04 (level 2) GOV-05 (60%).
    assert head.status_counts == {"green": 11, "amber": 4, "red": 2}
    assert head.n_with_status == 17
    assert head.status_share("green") == pytest.approx(11 / 17)
    assert head.n_stale == 1
    # Trends by hand: achieved Alpha GOV-01, Beta GOV-01/02/03/04/06/07, Gamma GOV-01 (8);
    # on track Alpha GOV-02 (o 0.25, q 0.2), Alpha GOV-05 (o 10, q 6), Beta GOV-05, Gamma GOV-02 (4);
    # stagnating Alpha GOV-03 (o 0); deteriorating Alpha GOV-04, Gamma GOV-04 (base met, falling).
    assert head.trend_counts == {
        "target-achieved": 8,
        "on-track": 4,
        "moderately-improving": 0,
        "stagnating": 1,
        "deteriorating": 2,
    }
    assert head.n_with_trend == 15
    # Every (municipality, scored indicator) the active municipalities reported, blank or not.
    scored = [i.code for i in catalog.indicators.values() if i.scored]
    marks = ",".join("?" * len(scored))
    (pairs,) = sql(
        db,
        "SELECT count(*) FROM (SELECT DISTINCT v.municipality_id, v.indicator FROM indicator_values v"
        " JOIN municipalities m ON m.id = v.municipality_id"
        f" WHERE m.active AND v.disaggregation = 'total' AND v.indicator IN ({marks}))",
        *scored,
    )[0]
    assert pairs == 3 * len(scored)
    current = pairs - head.n_stale
    assert head.n_no_data == current - 17
    assert head.n_insufficient == current - 15


def test_headline_for_one_country(data):
    from dashboard.queries.overview import headline

    snapshot, _, _ = data
    head = headline(snapshot, "XBB")
    assert (head.n_municipalities, head.n_active, head.n_received, head.n_reporting) == (3, 2, 0, 0)
    assert head.reporting_rate == 0
    assert head.status_counts == {"green": 2, "amber": 3, "red": 0}


def test_area_status_table_counts_municipalities_by_the_two_worst_rule(data):
    from dashboard.queries.overview import area_status_table

    snapshot, catalog, _ = data
    table = area_status_table(snapshot, catalog).set_index("area")
    assert list(table.index) == [a for a in catalog.areas if a != "context"]
    # Governance: Alpha's two worst are red -> red; Beta all green -> green; Gamma's two worst
    # amber -> amber (5 of 7 with current data); the second Beta never reported -> no data.
    assert table.loc["governance", ["green", "amber", "red", "no-data"]].tolist() == [1, 1, 1, 1]
    for area in table.index.drop("governance"):
        assert table.loc[area, ["green", "amber", "red", "no-data"]].tolist() == [0, 0, 0, 4]
    assert (table["municipalities"] == 4).all()
    xaa = area_status_table(snapshot, catalog, "XAA").set_index("area")
    assert xaa.loc["governance", ["green", "amber", "red", "no-data"]].tolist() == [1, 0, 1, 0]


def test_indicator_ranking_and_the_progress_and_concern_lists(data):
    from dashboard.queries.overview import indicator_ranking, most_concern, most_progress

    snapshot, catalog, _ = data
    ranking = indicator_ranking(snapshot, catalog).set_index("indicator")
    assert len(ranking) == sum(1 for i in catalog.indicators.values() if i.scored)
    # GOV-04: Alpha deteriorating, Beta achieved, Gamma deteriorating.
    assert ranking.loc["GOV-04", ["n_with_trend", "n_progress", "n_deteriorating"]].tolist() == [3, 1, 2]
    assert ranking.loc["GOV-04", "share_deteriorating"] == pytest.approx(2 / 3)
    # GOV-03: Alpha stagnating, Beta achieved, Gamma a single year (not enough data).
    assert ranking.loc["GOV-03", ["n_with_trend", "n_progress", "n_stagnating"]].tolist() == [2, 1, 1]
    assert ranking.loc["GOV-03", "n_insufficient-data"] == 1
    progress = most_progress(ranking.reset_index(), n_active=4)
    assert progress["indicator"].tolist() == ["GOV-01", "GOV-02", "GOV-04"]  # 3/3, 3/3, 1/3
    concern = most_concern(ranking.reset_index(), n_active=4)
    assert concern["indicator"].tolist() == ["GOV-04"]


def test_highlights_are_plain_sentences_from_the_data(data):
    from dashboard.queries.overview import highlights

    snapshot, catalog, _ = data
    assert highlights(snapshot, catalog) == [
        "2 of 4 municipalities sent their 2024 return (50%); 1 of them on time.",
        "Still to come for 2024: Gamma and Beta (East).",
        "Of 17 current indicator values, 65% are good and 12% far behind.",
        "80% of the results with a trend are on track or have reached their 2030 target; "
        "13% are deteriorating.",
        "Governance and policy coherence has the most municipalities in good standing (1 of 4).",
        "Governance and policy coherence has the most municipalities far behind (1 of 4).",
        "Most progress: Local development plan integrates migration (GOV-01), on track or at target in "
        "3 of 3 municipalities.",
        "Most concern: Migrants and diaspora take part in local planning (GOV-04), deteriorating in "
        "2 of 3 municipalities.",
    ]
    xbb = highlights(snapshot, catalog, "XBB")
    assert xbb[0] == "0 of 2 municipalities in Borduria sent their 2024 return."


def test_area_status_figure_has_one_labelled_trace_per_status(data):
    from dashboard.figures.overview import area_status_figure
    from dashboard.queries.overview import area_status_table

    snapshot, catalog, _ = data
    fig = area_status_figure(area_status_table(snapshot, catalog))
    assert [t.name for t in fig.data] == ["✔ Good", "◐ Part way", "✖ Far behind", "? No data"]
    assert [t.marker.color for t in fig.data] == ["#009E73", "#E69F00", "#D55E00", "#999999"]
    governance = catalog.areas["governance"].name.en
    for trace in fig.data:
        assert trace.orientation == "h"
        assert dict(zip(trace.y, trace.x, strict=True))[governance] == 1
    # The first area is drawn at the top (plotly puts the first category at the bottom).
    assert fig.data[0].y[-1] == governance
    printed = area_status_figure(area_status_table(snapshot, catalog), width=650, height=220, font_size=10)
    assert (printed.layout.width, printed.layout.height, printed.layout.font.size) == (650, 220, 10)


def test_empty_programme_renders_without_data():
    from dashboard.figures.overview import area_status_figure
    from dashboard.queries.overview import area_status_table, headline, highlights, indicator_ranking
    from dashboard.queries.snapshot import RESULT_COLUMNS, Snapshot

    catalog = load_catalog(DEFAULT_CATALOG)
    empty = Snapshot(
        version=("empty",),
        latest_year=None,
        municipalities=pd.DataFrame(
            columns=[
                "id",
                "code",
                "name",
                "region",
                "region_code",
                "country",
                "country_code",
                "population_band",
                "active",
            ]
        ),  # fmt: skip
        values=pd.DataFrame(),
        results=pd.DataFrame(columns=RESULT_COLUMNS),
        returns=pd.DataFrame(
            columns=["id", "submission_id", "municipality_id", "year", "status", "received_at", "on_time"]
        ),  # fmt: skip
        submissions=pd.DataFrame(),
    )
    head = headline(empty)
    assert (head.year, head.n_active, head.reporting_rate, head.n_with_status) == (None, 0, None, 0)
    assert highlights(empty, catalog) == ["No return has been received yet: there is nothing to summarise."]
    assert indicator_ranking(empty, catalog)["n_with_trend"].sum() == 0
    assert area_status_figure(area_status_table(empty, catalog)).data


def test_page_and_downloads_render_on_the_app(stored):
    """The page module's layout and download tables, on the app's own Flask context."""
    import json

    from plotly.utils import PlotlyJSONEncoder

    from app import create_app

    app = create_app(stored)  # pages register themselves once an app exists
    from dashboard.pages import overview

    with app.server.test_request_context("/?country=XAA"):
        text = json.dumps(overview.layout(country="xaa"), cls=PlotlyJSONEncoder)
        assert "2 of 2 municipalities in Aldoria sent their 2024 return (100%); 1 of them on time." in text
        assert "/indicator?code=GOV-" in text and "/catalogue/GOV-" in text
        frame, name = overview.download_frame("areas", "XAA")
        assert name == "area-status-2024-XAA" and frame["active_municipalities"].eq(2).all()
        frame, name = overview.download_frame("ranking", None)
        assert name == "indicator-ranking-2024" and "n_target_achieved" in frame.columns
        assert "All countries" in json.dumps(overview.layout(country="<nope>"), cls=PlotlyJSONEncoder)
