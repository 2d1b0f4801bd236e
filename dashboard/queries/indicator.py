"""The indicator page's data: one indicator's values over the years for chosen municipalities.

Pure functions of the cached snapshot and the catalogue; statuses and trends are read from the
snapshot's results, never recomputed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard.queries.scorecard import SEPARATOR, format_value
from dashboard.queries.snapshot import Snapshot
from dashboard.scoring import STATUS_LABELS, TREND_LABELS, Status, Trend
from data_ingest.catalog import TOTAL, Catalog, Indicator

CHART_COLUMNS = [
    "municipality_code",
    "municipality",
    "year",
    "disaggregation",
    "value",
    "value_text",
    "unit",
    "missing_reason",
]
LATEST_COLUMNS = [
    "municipality_code",
    "municipality",
    "year",
    "value",
    "value_text",
    "status",
    "status_label",
    "stale",
    "trend",
    "trend_label",
]


def indicator_text(ind: Indicator) -> str:
    """ "WORK-01 — Employment rate of migrants aged 15-64": what the search box offers."""
    return f"{ind.code}{SEPARATOR}{ind.name.en}"


def indicator_options(catalog: Catalog) -> list[tuple[str, str]]:
    return [(indicator_text(i), indicator_text(i)) for i in catalog.indicators.values()]


def parse_indicator(text: str | None, catalog: Catalog) -> str | None:
    """The indicator code in what was typed: a code ("work-01") or a datalist entry."""
    if not text:
        return None
    candidate = text.split(SEPARATOR, 1)[0].strip().upper()
    if candidate in catalog.indicators:
        return candidate
    folded = text.strip().casefold()
    for ind in catalog.indicators.values():
        if folded in (indicator_text(ind).casefold(), ind.name.en.casefold()):
            return ind.code
    return None


def indicators_by_area(catalog: Catalog) -> list[tuple[str, str, list[Indicator]]]:
    """(area code, area name, its indicators) in catalogue order, context last as in the catalogue."""
    return [(code, area.name.en, catalog.indicators_in(code)) for code, area in catalog.areas.items()]


def parse_codes(text: str | None) -> list[str]:
    """ "xaa-001, XAA-003,,xaa-001" -> ["XAA-001", "XAA-003"]."""
    out: list[str] = []
    for part in (text or "").split(","):
        code = part.strip().upper()
        if code and code not in out:
            out.append(code)
    return out


@dataclass(frozen=True)
class Selection:
    """The municipalities drawn, and how they were chosen."""

    codes: list[str]
    country: str | None  # set when the selection is a whole country (by ?country= or by default)
    explicit: bool  # True when ?municipalities= chose them


def select_municipalities(snapshot: Snapshot, municipalities: str | None, country: str | None) -> Selection:
    """?municipalities=A,B selects those (unknown codes dropped); otherwise every municipality of
    ?country=, or of the country of the first municipality in the register."""
    frame = snapshot.municipalities
    known = set(frame["code"])
    chosen = [c for c in parse_codes(municipalities) if c in known]
    if chosen:
        return Selection(chosen, None, True)
    countries = list(dict.fromkeys(frame["country_code"]))
    if not countries:
        return Selection([], None, False)
    wanted = (country or "").strip().upper()
    wanted = wanted if wanted in countries else countries[0]
    return Selection([str(c) for c in frame[frame["country_code"] == wanted]["code"]], wanted, False)


def toggled(codes: Sequence[str], code: str) -> list[str]:
    """The selection with ``code`` removed if it was in, added (at the end) if it was not."""
    return [c for c in codes if c != code] if code in codes else [*codes, code]


def disaggregation_options(catalog: Catalog, ind: Indicator) -> list[tuple[str, str]]:
    """(code, label): total first, then every breakdown the indicator's groups allow."""
    return [(TOTAL, "Total")] + [
        (d.code, d.label.en) for d in catalog.disaggregations.values() if d.group in ind.disaggregations
    ]


def parse_disaggregation(catalog: Catalog, ind: Indicator, value: str | None) -> str:
    allowed = {code for code, _ in disaggregation_options(catalog, ind)}
    value = (value or "").strip().lower()
    return value if value in allowed else TOTAL


def chart_frame(
    snapshot: Snapshot, ind: Indicator, codes: Sequence[str], disaggregation: str = TOTAL
) -> pd.DataFrame:
    """Every stored value (missing ones with their reason) of the indicator and breakdown for the
    given municipalities, in the order of ``codes`` then by year."""
    munis = snapshot.municipalities
    munis = munis[munis["code"].isin(list(codes))]
    if munis.empty:
        return pd.DataFrame(columns=CHART_COLUMNS)
    v = snapshot.values
    rows = v[
        (v["indicator"] == ind.code)
        & (v["disaggregation"] == disaggregation)
        & v["municipality_id"].isin(munis["id"])
    ]
    merged = rows.merge(
        munis[["id", "code", "name"]].rename(columns={"id": "municipality_id"}), on="municipality_id"
    )
    order = {c: i for i, c in enumerate(codes)}
    merged = merged.assign(_order=merged["code"].map(order)).sort_values(["_order", "year"])
    values = [None if pd.isna(x) else float(x) for x in merged["value"]]
    return pd.DataFrame(
        {
            "municipality_code": merged["code"].to_numpy(),
            "municipality": merged["name"].to_numpy(),
            "year": merged["year"].astype(int).to_numpy(),
            "disaggregation": disaggregation,
            "value": pd.array(values, dtype="Float64"),
            "value_text": [format_value(ind, x) for x in values],
            "unit": ind.unit,
            "missing_reason": [
                r if isinstance(r, str) else (None if x is not None else "not reported")
                for r, x in zip(merged["missing_reason"], values, strict=True)
            ],
        },
        columns=CHART_COLUMNS,
    )


def latest_frame(snapshot: Snapshot, ind: Indicator, codes: Sequence[str]) -> pd.DataFrame:
    """Latest total value, status and trend of each selected municipality (from the snapshot's
    results); municipalities that never reported it have a "no data" row."""
    munis = snapshot.municipalities
    munis = munis[munis["code"].isin(list(codes))].set_index("code")
    res = snapshot.results[snapshot.results["indicator"] == ind.code]
    by_id = {r["municipality_id"]: r for r in res.to_dict("records")}
    rows = []
    for code in codes:
        if code not in munis.index:
            continue
        m = munis.loc[code]
        r = by_id.get(m["id"])
        value = None if r is None or pd.isna(r["value"]) else float(r["value"])
        status = (r["status"] if r is not None else str(Status.NO_DATA)) if ind.scored else None
        trend = r["trend"] if r is not None else str(Trend.INSUFFICIENT)
        stale = bool(r["stale"]) if r is not None else False
        rows.append(
            {
                "municipality_code": code,
                "municipality": str(m["name"]),
                "year": int(r["year"]) if r is not None else None,
                "value": value,
                "value_text": format_value(ind, value),
                "status": status,
                "status_label": (STATUS_LABELS[Status(status)] + (" (stale)" if stale else ""))
                if status
                else None,
                "stale": stale,
                "trend": trend,
                "trend_label": TREND_LABELS[Trend(trend)],
            }
        )
    return pd.DataFrame(rows, columns=LATEST_COLUMNS)


def download_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The chart data as downloaded: numbers as numbers, no display text."""
    return frame.drop(columns=["value_text"])
