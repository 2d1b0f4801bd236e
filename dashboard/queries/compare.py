"""Compare municipalities: the 0-100 scores of every municipality x indicator (the heatmap) and
the ranking by overall score, for the municipalities and area chosen with the filters.

Scores, statuses and staleness come from the cached snapshot (computed once per data change);
this module only selects, orders and labels them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from dashboard.components.filters import href
from dashboard.queries.overview import display_names, per_snapshot
from dashboard.queries.snapshot import Snapshot, scores_by_municipality
from dashboard.scoring import STATUS_LABELS, STATUS_SYMBOLS, Status
from data_ingest.catalog import Catalog, Indicator

# Population bands in their natural order; bands the register names otherwise come after, by name.
BAND_ORDER = ["<50k", "50k-250k", ">250k"]
STALE_MARK = "†"
FILTER_PARAMS = ("country", "region", "band", "area")

HEATMAP_COLUMNS = [
    "municipality_code",
    "municipality",
    "country",
    "region",
    "population_band",
    "indicator",
    "indicator_name",
    "area",
    "year",
    "value",
    "unit",
    "status",
    "stale",
    "score",
    "missing_reason",
]


@dataclass(frozen=True)
class Filters:
    """The view, as read from the URL; None means "all"."""

    country: str | None = None
    region: str | None = None
    band: str | None = None
    area: str | None = None

    def params(self) -> dict[str, str]:
        return {k: v or "" for k, v in asdict(self).items()}


def parse_filters(
    snapshot: Snapshot,
    catalog: Catalog,
    *,
    country: str | None = None,
    region: str | None = None,
    band: str | None = None,
    area: str | None = None,
) -> Filters:
    """Keep only values the register and the catalogue know; a region outside the chosen
    country is dropped (the country links reset it)."""
    m = snapshot.municipalities
    country = (country or "").strip().upper() or None
    if country not in set(m["country_code"]):
        country = None
    regions = m if country is None else m[m["country_code"] == country]
    region = (region or "").strip().upper() or None
    if region not in set(regions["region_code"]):
        region = None
    band = (band or "").strip() or None
    if band not in set(m["population_band"].dropna()):
        band = None
    area = (area or "").strip() or None
    if area not in catalog.areas or area == "context":
        area = None
    return Filters(country=country, region=region, band=band, area=area)


def band_key(band: str) -> tuple[int, str]:
    return (BAND_ORDER.index(band) if band in BAND_ORDER else len(BAND_ORDER), band)


def filter_options(
    snapshot: Snapshot, catalog: Catalog, filters: Filters
) -> dict[str, list[tuple[str, str]]]:
    """(value, label) choices of each filter; "" is "all". Regions are those of the chosen country."""
    m = snapshot.municipalities
    countries = m[["country_code", "country"]].drop_duplicates().sort_values("country_code")
    regions = m if filters.country is None else m[m["country_code"] == filters.country]
    regions = regions[["region_code", "region", "country_code"]].drop_duplicates()
    regions = regions.sort_values(["country_code", "region"])
    bands = sorted(set(m["population_band"].dropna()), key=band_key)
    return {
        "country": [("", "All countries")] + [(r.country_code, r.country) for r in countries.itertuples()],
        "region": [("", "All regions")]
        + [
            (r.region_code, r.region if filters.country else f"{r.region} ({r.country_code})")
            for r in regions.itertuples()
        ],
        "band": [("", "All sizes")] + [(b, f"{b} inhabitants") for b in bands],
        "area": [("", "All areas")]
        + [(a.code, a.name.en) for a in catalog.areas.values() if a.code != "context"],
    }


def municipalities_in(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """The register rows the filters select (inactive municipalities included: they are marked)."""
    m = snapshot.municipalities
    mask = pd.Series(True, index=m.index)
    if filters.country:
        mask &= m["country_code"] == filters.country
    if filters.region:
        mask &= m["region_code"] == filters.region
    if filters.band:
        mask &= m["population_band"] == filters.band
    return m[mask]


def indicators_in(catalog: Catalog, filters: Filters) -> list[Indicator]:
    """Scored indicators, of the chosen area only if one is chosen, in catalogue order."""
    return [
        i
        for i in catalog.indicators.values()
        if i.scored and (filters.area is None or i.area == filters.area)
    ]


def _labels(snapshot: Snapshot, frame: pd.DataFrame) -> dict[int, str]:
    return dict(zip(frame["id"], display_names(snapshot, frame), strict=True))


@per_snapshot
def _scores(snapshot: Snapshot, catalog: Catalog) -> pd.DataFrame:
    return scores_by_municipality(snapshot, catalog)


@per_snapshot
def ranking(snapshot: Snapshot, catalog: Catalog, filters: Filters) -> pd.DataFrame:
    """The selected municipalities by overall score, best first, then those not ranked (more than
    20% of their scored indicators missing or stale), by name. ``rank`` is shared by equal scores;
    ``rests_on`` says how many indicators the score rests on."""
    chosen = municipalities_in(snapshot, filters)
    columns = [
        "rank",
        "municipality_code",
        "municipality",
        "country",
        "region",
        "population_band",
        "active",
        "overall",
        "n_indicators",
        "n_scored",
        "rests_on",
    ]
    if filters.area:
        columns.append(f"score_{filters.area}")
    if chosen.empty:
        return pd.DataFrame(columns=columns)
    scores = _scores(snapshot, catalog)
    frame = chosen.merge(scores, left_on="id", right_on="municipality_id", how="left")
    frame["municipality"] = frame["id"].map(_labels(snapshot, chosen))
    frame["overall"] = pd.to_numeric(frame["overall"], errors="coerce")
    ranked = frame["overall"].notna()
    frame["rank"] = frame["overall"].rank(method="min", ascending=False).astype("Int64")
    frame["rests_on"] = [
        f"rests on {n} of {total} indicators"
        if ok
        else f"not ranked: too many missing ({n} of {total} indicators)"
        for n, total, ok in zip(frame["n_indicators"], frame["n_scored"], ranked, strict=True)
    ]
    frame = frame.rename(columns={"code": "municipality_code"})
    frame["_ranked"] = ranked
    frame = frame.sort_values(["_ranked", "overall", "municipality"], ascending=[False, False, True])
    return frame[columns].reset_index(drop=True)


def format_value(value: float | None, ind: Indicator) -> str:
    """A value as a person reads it: "62.5%", "0.86 ratio", "yes", "level 2 of 3", "12,400 persons"."""
    if value is None or pd.isna(value):
        return "no data"
    if ind.kind == "yes-no":
        return "yes" if value >= 0.5 else "no"
    if ind.kind == "maturity":
        top = ind.bounds[1] if ind.bounds else 3
        return f"level {value:g} of {top:g}"
    number = (
        f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    )
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return f"{number}%" if ind.unit == "%" else f"{number} {ind.unit}"


@per_snapshot
def heatmap_frame(
    snapshot: Snapshot, catalog: Catalog, filters: Filters, order: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """One row per selected municipality x scored indicator (HEATMAP_COLUMNS), never-reported
    pairs included as "no data"; municipalities in ``order`` (codes) if given, indicators in
    catalogue order."""
    chosen = municipalities_in(snapshot, filters)
    indicators = indicators_in(catalog, filters)
    if chosen.empty or not indicators:
        return pd.DataFrame(columns=HEATMAP_COLUMNS)
    if order:
        position = {code: i for i, code in enumerate(order)}
        chosen = chosen.assign(_order=chosen["code"].map(lambda c: position.get(c, len(position))))
        chosen = chosen.sort_values(["_order", "name"])
    labels = _labels(snapshot, chosen)
    results = snapshot.results
    results = results[
        results["municipality_id"].isin(chosen["id"])
        & results["indicator"].isin([i.code for i in indicators])
    ]
    by_key = {(r.municipality_id, r.indicator): r for r in results.itertuples()}
    rows = []
    for m in chosen.itertuples():
        for ind in indicators:
            r = by_key.get((m.id, ind.code))
            value = None if r is None or pd.isna(r.value) else float(r.value)
            rows.append(
                {
                    "municipality_code": m.code,
                    "municipality": labels[m.id],
                    "country": m.country,
                    "region": m.region,
                    "population_band": m.population_band,
                    "indicator": ind.code,
                    "indicator_name": ind.name.en,
                    "area": ind.area,
                    "year": None if r is None else int(r.year),
                    "value": value,
                    "unit": ind.unit,
                    "status": Status.NO_DATA.value if r is None or pd.isna(r.status) else str(r.status),
                    "stale": False if r is None else bool(r.stale),
                    "score": None if r is None or r.score is None or pd.isna(r.score) else float(r.score),
                    "missing_reason": "never reported"
                    if r is None
                    else (None if value is not None else (r.missing_reason or "no value")),
                }
            )
    frame = pd.DataFrame(rows, columns=HEATMAP_COLUMNS)
    frame["year"] = frame["year"].astype("Int64")
    return frame


def hover_text(row: pd.Series | dict, ind: Indicator) -> str:
    """What a heatmap cell says on hover: the real value with unit and year, status and score."""
    status = Status(row["status"])
    lines = [f"<b>{row['municipality']}</b> · {ind.code}", ind.name.en]
    year = "" if row["year"] is None or pd.isna(row["year"]) else f"{int(row['year'])}"
    if row["value"] is None or pd.isna(row["value"]):
        reason = row["missing_reason"] or "no value"
        lines.append(f"No data{f' ({year})' if year else ''}: {reason}")
    else:
        stale = ", stale: too old to count" if row["stale"] else ""
        lines.append(f"Value: {format_value(row['value'], ind)} ({year}{stale})")
    lines.append(f"Status: {STATUS_SYMBOLS[status]} {STATUS_LABELS[status]}")
    score = row["score"]
    lines.append("Score: —" if score is None or pd.isna(score) else f"Score: {score:.0f} / 100")
    return "<br>".join(lines)


def cell_mark(row: pd.Series | dict) -> str:
    """The symbol drawn in a cell: the status symbol, and a dagger when the value is stale."""
    status = Status(row["status"])
    return STATUS_SYMBOLS[status] + (STALE_MARK if row["stale"] else "")


def heatmap_cells(frame: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """The heatmap frame with what each cell shows: ``mark`` (status symbol) and ``hover``."""
    cells = frame.copy()
    cells["hover"] = [hover_text(r, catalog.indicators[r["indicator"]]) for r in frame.to_dict("records")]
    cells["mark"] = [cell_mark(r) for r in frame.to_dict("records")]
    return cells


def scorecard_href(code: str) -> str:
    return href("/scorecard", {"municipality": code})


def href_from_click(click_data: dict | None, codes: dict[str, str]) -> str | None:
    """The scorecard of the municipality of a clicked heatmap cell. Plotly's click carries the
    row label (y), not the cell's customdata, so ``codes`` maps row labels to municipality codes;
    None when the click names no known row."""
    points = (click_data or {}).get("points") or []
    if not points:
        return None
    code = codes.get(str(points[0].get("y", "")))
    return scorecard_href(code) if code else None
