"""The municipality scorecard's data: pure functions of the cached snapshot and the catalogue.

Nothing here recomputes a status, a trend or a score: they come from ``Snapshot.results`` and
``scores_by_municipality`` (built once per data change). What is added is presentation: the value in
words, the migrant/host gap of parity indicators, the reason a value is missing, and the reporting
history of the municipality.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, func, select

from dashboard.queries.snapshot import Snapshot, scores_by_municipality, value_sources
from dashboard.scoring import STATUS_LABELS, TREND_LABELS, Status, Trend
from data_ingest.catalog import AREA_CONTEXT, TOTAL, Catalog, Indicator

SEPARATOR = " — "
NEVER_REPORTED = "never reported"

# Who a parity indicator compares, in words, when it is not migrants against the host population.
# Wording only: thresholds, targets and directions always come from the catalogue.
GAP_SUBJECTS: dict[str, tuple[str, str]] = {
    "RIGHTS-05": ("women's share of beneficiaries", "their share of migrants"),
}
DEFAULT_GAP_SUBJECT = ("migrants' rate", "the host population's")

TABLE_COLUMNS = [
    "area",
    "indicator",
    "name",
    "scored",
    "year",
    "value",
    "unit",
    "value_text",
    "missing_reason",
    "status",
    "status_label",
    "stale",
    "trend",
    "trend_label",
    "target",
    "gap",
    "source",
]
PEER_COLUMNS = ["peer", "peer_year", "peer_value", "peer_value_text", "peer_status", "peer_stale"]


# ---------------------------------------------------------------------------------------------
# Numbers in words


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1 or value == 0:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def format_value(ind: Indicator, value: float | None) -> str:
    """A value as a person reads it: "56.4%", "0.86", "+3.2 points", "Yes", "level 2 of 3"."""
    if _is_missing(value):
        return "no data"
    assert value is not None
    if ind.kind == "yes-no":
        return "Yes" if value >= 0.5 else "No"
    if ind.kind == "maturity":
        return f"level {value:g} of 3"
    if ind.unit == "%":
        return f"{value:.1f}%"
    if ind.unit == "ratio":
        return f"{value:.2f}"
    if ind.unit == "pp":
        return f"{value:+.1f} points"
    if ind.unit == "count":
        return f"{value:,.0f}" if float(value).is_integer() else _number(value)
    return f"{_number(value)} {ind.unit}"


def target_text(ind: Indicator) -> str:
    """The 2030 target in words: "70%", "parity (1.00)", "no gap", "Yes", "level 3 of 3"."""
    if not ind.scored or ind.target is None:
        return "—"
    if ind.direction == "parity":
        assert ind.parity is not None
        at = "no gap" if ind.unit == "pp" else f"parity ({ind.parity:.2f})"
        if ind.target == 0:
            return at
        return f"within {ind.target:g} of {at}"
    if ind.unit == "%":
        return f"{ind.target:g}%"
    if ind.unit not in ("ratio", "pp") and float(ind.target).is_integer():
        return format_value(ind, ind.target).replace(_number(ind.target), f"{ind.target:,.0f}", 1)
    return format_value(ind, ind.target)


def gap_text(ind: Indicator, value: float | None) -> str | None:
    """For a parity indicator, the gap between the two groups in words, e.g.
    "0.86: migrants' rate is 14% below the host population's"; None for other indicators."""
    if ind.kind != "parity" or _is_missing(value):
        return None
    assert value is not None
    subject, other = GAP_SUBJECTS.get(ind.code, DEFAULT_GAP_SUBJECT)
    if ind.unit == "ratio":
        percent = round(abs(value - 1.0) * 100)
        if percent == 0:
            return f"{value:.2f}: {subject} is about the same as {other}"
        side = "below" if value < 1 else "above"
        return f"{value:.2f}: {subject} is {percent}% {side} {other}"
    points = round(abs(value), 1)
    if points == 0:
        return f"{value:+.1f} points: {subject} is about the same as {other}"
    side = "below" if value < 0 else "above"
    return f"{value:+.1f} points: {subject} is {points:.1f} points {side} {other}"


# ---------------------------------------------------------------------------------------------
# Choosing a municipality


def municipality_text(row: Mapping | pd.Series) -> str:
    """ "XAA-001 — San Eulogio (Alto Cereza, República de Montalvia)": what the search box offers."""
    return f"{row['code']}{SEPARATOR}{row['name']} ({row['region']}, {row['country']})"


def municipality_options(snapshot: Snapshot) -> list[tuple[str, str]]:
    """(value, label) pairs for the search box's datalist: the full text as both."""
    return [(municipality_text(r), municipality_text(r)) for _, r in snapshot.municipalities.iterrows()]


def parse_municipality(text: str | None, snapshot: Snapshot) -> str | None:
    """The municipality code in what was typed: a code ("xaa-001") or a datalist entry."""
    if not text:
        return None
    candidate = text.split(SEPARATOR, 1)[0].strip().upper()
    codes = set(snapshot.municipalities["code"])
    if candidate in codes:
        return candidate
    folded = text.strip().casefold()
    for _, row in snapshot.municipalities.iterrows():
        if municipality_text(row).casefold() == folded:
            return str(row["code"])
    return None


def display_names(snapshot: Snapshot) -> dict[str, str]:
    """Code -> the name to show; "San Eulogio (Alto Cereza)" when several share the name."""
    frame = snapshot.municipalities
    counts = frame["name"].value_counts()
    return {
        str(code): f"{name} ({region})" if counts[name] > 1 else str(name)
        for code, name, region in zip(frame["code"], frame["name"], frame["region"], strict=True)
    }


def municipalities_by_country(snapshot: Snapshot) -> list[tuple[str, str, pd.DataFrame]]:
    """(country code, country name, its municipalities) in the register's order."""
    frame = snapshot.municipalities
    return [
        (str(code), str(group["country"].iloc[0]), group.reset_index(drop=True))
        for code, group in frame.groupby("country_code", sort=True)
    ]


def peers(snapshot: Snapshot, code: str) -> pd.DataFrame:
    """The other municipalities of the same country."""
    me = snapshot.municipality(code)
    if me is None:
        return snapshot.municipalities.iloc[0:0]
    frame = snapshot.municipalities
    return frame[(frame["country_code"] == me["country_code"]) & (frame["code"] != code)].reset_index(
        drop=True
    )


# ---------------------------------------------------------------------------------------------
# Header


_scores_cache: dict[int, tuple[Snapshot, int, pd.DataFrame]] = {}
_scores_lock = threading.Lock()


def cached_scores(snapshot: Snapshot, catalog: Catalog) -> pd.DataFrame:
    """scores_by_municipality, once per snapshot (a snapshot is immutable, rebuilt on data change)."""
    hit = _scores_cache.get(id(snapshot))
    if hit is not None and hit[0] is snapshot and hit[1] == id(catalog):
        return hit[2]
    frame = scores_by_municipality(snapshot, catalog)
    with _scores_lock:
        _scores_cache.clear()  # the snapshot it was for is gone from the snapshot cache as well
        _scores_cache[id(snapshot)] = (snapshot, id(catalog), frame)
    return frame


@dataclass(frozen=True)
class Header:
    code: str
    name: str
    region: str
    country: str
    population_band: str | None
    active: bool
    latest_return_year: int | None
    overall: float | None
    n_indicators: int
    n_scored: int
    area_scores: dict[str, float | None]


def header(snapshot: Snapshot, catalog: Catalog, code: str) -> Header | None:
    me = snapshot.municipality(code)
    if me is None:
        return None
    mid = int(me["id"])
    returns = snapshot.returns[
        (snapshot.returns["municipality_id"] == mid) & (snapshot.returns["status"] == "current")
    ]
    scores = cached_scores(snapshot, catalog)
    row = scores[scores["municipality_id"] == mid]
    areas = [a for a in catalog.areas if a != AREA_CONTEXT]
    if row.empty:
        overall, n_ind, n_scored, area_scores = (
            None,
            0,
            sum(i.scored for i in catalog.indicators.values()),
            {},
        )
    else:
        r = row.iloc[0]
        overall = None if pd.isna(r["overall"]) else float(r["overall"])
        n_ind, n_scored = int(r["n_indicators"]), int(r["n_scored"])
        area_scores = {a: (None if pd.isna(r.get(f"score_{a}")) else float(r[f"score_{a}"])) for a in areas}
    return Header(
        code=code,
        name=str(me["name"]),
        region=str(me["region"]),
        country=str(me["country"]),
        population_band=None if pd.isna(me["population_band"]) else str(me["population_band"]),
        active=bool(me["active"]),
        latest_return_year=int(returns["year"].max()) if not returns.empty else None,
        overall=overall,
        n_indicators=n_ind,
        n_scored=n_scored,
        area_scores=area_scores,
    )


def score_text(h: Header) -> str:
    """ "Overall score 88.9 out of 100, from 42 of 45 scored indicators" or why it is not shown."""
    if h.overall is None:
        return (
            f"Overall score not shown: only {h.n_indicators} of {h.n_scored} scored indicators have a "
            "current value (it needs at least 80%)."
        )
    return (
        f"Overall score {h.overall:.1f} out of 100, from {h.n_indicators} of {h.n_scored} scored indicators."
    )


# ---------------------------------------------------------------------------------------------
# The table


def results_of(snapshot: Snapshot, code: str) -> pd.DataFrame:
    """The snapshot's result rows (latest value, status, trend) of one municipality."""
    me = snapshot.municipality(code)
    if me is None:
        return snapshot.results.iloc[0:0]
    return snapshot.results[snapshot.results["municipality_id"] == int(me["id"])]


def _result_fields(ind: Indicator, row: Mapping | None) -> dict:
    if row is None:
        return {
            "year": None,
            "value": None,
            "value_text": "no data",
            "missing_reason": NEVER_REPORTED,
            "status": str(Status.NO_DATA) if ind.scored else None,
            "stale": False,
            "trend": str(Trend.INSUFFICIENT),
        }
    value = None if pd.isna(row["value"]) else float(row["value"])
    reason = None
    if value is None:
        reason = row["missing_reason"] if isinstance(row["missing_reason"], str) else "not reported"
    return {
        "year": int(row["year"]),
        "value": value,
        "value_text": format_value(ind, value),
        "missing_reason": reason,
        "status": row["status"] if ind.scored else None,
        "stale": bool(row["stale"]),
        "trend": row["trend"],
    }


def scorecard_table(
    snapshot: Snapshot,
    catalog: Catalog,
    code: str,
    *,
    compare: str | None = None,
    sources: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per catalogue indicator (areas in catalogue order, context last): the latest value
    in words, status, trend, target, parity gap and source; with ``compare``, the peer's latest
    value and status in the PEER_COLUMNS."""
    mine = {r["indicator"]: r for r in results_of(snapshot, code).to_dict("records")}
    theirs = {r["indicator"]: r for r in results_of(snapshot, compare).to_dict("records")} if compare else {}
    sources = sources or {}
    rows = []
    for area in catalog.areas:
        for ind in catalog.indicators_in(area):
            fields = _result_fields(ind, mine.get(ind.code))
            row = {
                "area": area,
                "indicator": ind.code,
                "name": ind.name.en,
                "scored": ind.scored,
                **fields,
                "unit": ind.unit,
                "status_label": (
                    STATUS_LABELS[Status(fields["status"])] + (" (stale)" if fields["stale"] else "")
                    if fields["status"]
                    else None
                ),
                "trend_label": TREND_LABELS[Trend(fields["trend"])],
                "target": target_text(ind),
                "gap": gap_text(ind, fields["value"]),
                "source": sources.get(ind.code),
            }
            if compare:
                peer = _result_fields(ind, theirs.get(ind.code))
                row.update(
                    {
                        "peer": compare,
                        "peer_year": peer["year"],
                        "peer_value": peer["value"],
                        "peer_value_text": peer["value_text"],
                        "peer_status": peer["status"],
                        "peer_stale": peer["stale"],
                    }
                )
            rows.append(row)
    return pd.DataFrame(rows, columns=TABLE_COLUMNS + (PEER_COLUMNS if compare else []))


def download_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The scorecard table as it is downloaded: plain columns, numbers as numbers."""
    keep = [
        "area",
        "indicator",
        "name",
        "year",
        "value",
        "unit",
        "missing_reason",
        "status_label",
        "stale",
        "trend_label",
        "target",
        "gap",
        "source",
    ]
    keep += [
        c for c in ("peer", "peer_year", "peer_value", "peer_status", "peer_stale") if c in table.columns
    ]
    out = table[keep].rename(columns={"status_label": "status", "trend_label": "trend"})
    return out.astype({"year": "Int64"} | ({"peer_year": "Int64"} if "peer_year" in out.columns else {}))


def series_by_indicator(snapshot: Snapshot, code: str) -> dict[str, tuple[list[int], list[float]]]:
    """Indicator -> (years, values) of its yearly totals for one municipality, missing years left out."""
    me = snapshot.municipality(code)
    if me is None:
        return {}
    v = snapshot.values
    mine = v[(v["municipality_id"] == int(me["id"])) & (v["disaggregation"] == TOTAL) & v["value"].notna()]
    mine = mine.sort_values(["indicator", "year"])
    out: dict[str, tuple[list[int], list[float]]] = {}
    for ind, year, value in zip(mine["indicator"], mine["year"], mine["value"], strict=True):
        years, values = out.setdefault(str(ind), ([], []))
        years.append(int(year))
        values.append(float(value))
    return out


# ---------------------------------------------------------------------------------------------
# Per-snapshot memo of database reads (value sources, completeness): they change only with the data,
# and a new snapshot is built whenever the data change.

_memo: dict[tuple, object] = {}
_memo_owner: list[Snapshot] = []
_memo_lock = threading.Lock()


def _memoised(snapshot: Snapshot, key: tuple, compute):  # noqa: ANN001, ANN202
    with _memo_lock:
        if not _memo_owner or _memo_owner[0] is not snapshot:
            _memo.clear()
            _memo_owner[:] = [snapshot]
        if key in _memo:
            return _memo[key]
    value = compute()
    with _memo_lock:
        if _memo_owner and _memo_owner[0] is snapshot:
            _memo[key] = value
    return value


def sources_of(engine: Engine, catalog: Catalog, snapshot: Snapshot, code: str) -> dict[str, str]:
    """Indicator -> where the municipality's latest value comes from (submission, file, sheet, cells)."""
    return _memoised(
        snapshot,
        ("sources", code, id(catalog), str(engine.url)),
        lambda: value_sources(engine, catalog, results_of(snapshot, code)),
    )


def completeness_of(engine: Engine, catalog: Catalog, snapshot: Snapshot, code: str) -> dict[int, float]:
    """Return id -> field completeness, for the municipality's current returns."""
    return _memoised(
        snapshot,
        ("completeness", code, id(catalog), str(engine.url)),
        lambda: field_completeness(engine, catalog, current_return_ids(snapshot, code)),
    )


# ---------------------------------------------------------------------------------------------
# Reporting history


def required_fields(catalog: Catalog) -> list[str]:
    return [r.code for r in catalog.raw_fields.values() if r.required]


def field_completeness(engine: Engine, catalog: Catalog, return_ids: list[int]) -> dict[int, float]:
    """Return id -> share of the catalogue's required raw fields it filled (a total with a value)."""
    from data_ingest.models import RawValue

    required = required_fields(catalog)
    if not return_ids or not required:
        return {}
    with engine.connect() as connection:
        counts = dict(
            connection.execute(
                select(RawValue.return_id, func.count(func.distinct(RawValue.raw_field)))
                .where(
                    RawValue.return_id.in_(return_ids),
                    RawValue.disaggregation == TOTAL,
                    RawValue.value.is_not(None),
                    RawValue.raw_field.in_(required),
                )
                .group_by(RawValue.return_id)
            ).all()
        )
    return {rid: counts.get(rid, 0) / len(required) for rid in return_ids}


def current_return_ids(snapshot: Snapshot, code: str) -> list[int]:
    me = snapshot.municipality(code)
    if me is None:
        return []
    r = snapshot.returns
    mine = r[(r["municipality_id"] == int(me["id"])) & (r["status"] == "current")]
    return [int(i) for i in mine["id"]]


HISTORY_COLUMNS = ["year", "return", "received", "revised", "on_time", "completeness", "submission_id"]


def reporting_history(
    snapshot: Snapshot, code: str, completeness: Mapping[int, float] | None = None
) -> pd.DataFrame:
    """One row per year from the first reporting year of the programme to the latest: "accepted",
    "revised" (a later submission superseded the first) or "missing"; when the return was first
    received and whether that was before the deadline; the field completeness of the current return."""
    me = snapshot.municipality(code)
    r = snapshot.returns
    if me is None or r.empty or snapshot.latest_year is None:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    completeness = completeness or {}
    by_year: dict[int, list[dict]] = {}
    for ret in r[r["municipality_id"] == int(me["id"])].sort_values("received_at").to_dict("records"):
        by_year.setdefault(int(ret["year"]), []).append(ret)
    rows = []
    for year in range(int(r["year"].min()), snapshot.latest_year + 1):
        of_year = by_year.get(year, [])
        if not of_year:
            rows.append(
                {
                    "year": year,
                    "return": "missing",
                    "received": None,
                    "revised": None,
                    "on_time": None,
                    "completeness": None,
                    "submission_id": None,
                }
            )
            continue
        first = of_year[0]
        current = next((x for x in reversed(of_year) if x["status"] == "current"), of_year[-1])
        revised = len(of_year) > 1
        rows.append(
            {
                "year": year,
                "return": "revised" if revised else "accepted",
                "received": first["received_at"],
                "revised": current["received_at"] if revised else None,
                "on_time": bool(first["on_time"]),
                "completeness": completeness.get(int(current["id"])),
                "submission_id": int(current["submission_id"]),
            }
        )
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def history_summary(history: pd.DataFrame) -> str:
    """ "Returns for 5 of the 10 years 2015-2024; 3 of them on time; fields completed: 93% on average"."""
    if history.empty:
        return "No return has been received yet."
    got = history[history["return"] != "missing"]
    first, last = int(history["year"].min()), int(history["year"].max())
    text = f"Returns for {len(got)} of the {len(history)} years {first}–{last}"
    if got.empty:
        return text + "."
    text += f"; {int(got['on_time'].sum())} of them on time"
    filled = got["completeness"].dropna()
    if not filled.empty:
        text += f"; required fields completed: {100 * filled.mean():.0f}% on average"
    return text + "."
