"""The overview's numbers: headline figures, area statuses across municipalities, the indicators
with most progress and most concern, and the latest year's highlights in plain sentences.

Everything reads the cached snapshot (status, trend and score are computed there once per data
change); nothing here recomputes a status or a trend. Scope: the municipalities of one country,
or all of them. Status and trend figures cover the *active* municipalities (a municipality that
left the programme is no longer expected to report, and its values grow stale), and only their
current results: stale values and missing values are counted apart, never as a status.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import pandas as pd

from dashboard.queries.snapshot import Snapshot, area_statuses
from dashboard.scoring import STATUS_LABELS, Status, Trend
from data_ingest.catalog import Catalog

# The trends that judge progress, best first; "not enough data" is counted apart.
JUDGED_TRENDS = [Trend.ACHIEVED, Trend.ON_TRACK, Trend.MODERATE, Trend.STAGNATING, Trend.DETERIORATING]
PROGRESS_TRENDS = (Trend.ACHIEVED, Trend.ON_TRACK)
STATUS_KEYS = [Status.GREEN, Status.AMBER, Status.RED]
AREA_STATUS_KEYS = [Status.GREEN, Status.AMBER, Status.RED, Status.NO_DATA]
# An indicator enters the progress / concern lists only when this many municipalities (or all of
# the scope's, if it has fewer) have a trend for it: one municipality is not a pattern.
MIN_MUNICIPALITIES = 3

T = TypeVar("T")
_memo: dict[tuple, tuple[Snapshot, object]] = {}
_memo_lock = threading.Lock()


def per_snapshot(fn: Callable[..., T]) -> Callable[..., T]:
    """Cache a pure function of (snapshot, catalog, hashable arguments) until the snapshot changes.

    The snapshot is immutable and replaced on every data change, so its aggregates are computed
    once per data change, not on every request. Results are shared: callers must not modify them.
    """

    @functools.wraps(fn)
    def wrapper(snapshot: Snapshot, catalog: Catalog, *args: object, **kwargs: object) -> T:
        key = (fn.__qualname__, id(snapshot), id(catalog), *args, *sorted(kwargs.items()))
        hit = _memo.get(key)
        if hit is not None and hit[0] is snapshot:
            return hit[1]  # type: ignore[return-value]
        value = fn(snapshot, catalog, *args, **kwargs)
        with _memo_lock:
            stale = [k for k, (snap, _) in _memo.items() if snap is not snapshot]
            for k in stale:
                del _memo[k]
            _memo[key] = (snapshot, value)
        return value

    return wrapper


@dataclass(frozen=True)
class Headline:
    """The headline figures of the overview for one scope (a country or all)."""

    year: int | None  # the latest reporting year with any accepted return (whole programme)
    n_municipalities: int  # in the register, for the scope
    n_active: int  # expected to report
    n_received: int  # municipalities with a current (accepted) return for ``year``
    n_reporting: int  # active municipalities among them: the reporting rate's numerator
    n_on_time: int  # of the received, how many before the deadline
    reporting_rate: float | None  # n_reporting / n_active; None when nobody is expected
    status_counts: dict[str, int] = field(default_factory=dict)  # green/amber/red, current values
    n_with_status: int = 0  # their sum: the denominator of the status shares
    n_no_data: int = 0  # current results without a value (missing, with a reason)
    n_stale: int = 0  # results whose latest value is stale: shown elsewhere, not counted here
    trend_counts: dict[str, int] = field(default_factory=dict)  # the five judged trends
    n_with_trend: int = 0  # their sum: the denominator of the trend shares
    n_insufficient: int = 0  # current results with too few years for a trend

    def status_share(self, status: Status | str) -> float | None:
        return self.status_counts.get(str(status), 0) / self.n_with_status if self.n_with_status else None

    def trend_share(self, trend: Trend | str) -> float | None:
        return self.trend_counts.get(str(trend), 0) / self.n_with_trend if self.n_with_trend else None


def countries(snapshot: Snapshot) -> list[tuple[str, str]]:
    """(code, name) of every country in the register, by code."""
    frame = snapshot.municipalities[["country_code", "country"]].drop_duplicates().sort_values("country_code")
    return [(str(r.country_code), str(r.country)) for r in frame.itertuples()]


def valid_country(snapshot: Snapshot, country: str | None) -> str | None:
    """The country code if the register knows it (case-insensitive), else None (= all countries)."""
    code = (country or "").strip().upper()
    return code if code and code in {c for c, _ in countries(snapshot)} else None


def in_scope(snapshot: Snapshot, country: str | None = None) -> pd.DataFrame:
    """The municipalities of ``country`` (all when None)."""
    m = snapshot.municipalities
    return m if not country else m[m["country_code"] == country]


def active_in_scope(snapshot: Snapshot, country: str | None = None) -> pd.DataFrame:
    m = in_scope(snapshot, country)
    return m[m["active"].astype(bool)]


def current_results(snapshot: Snapshot, municipality_ids: pd.Series | list[int]) -> pd.DataFrame:
    """Scored results of these municipalities whose latest value is not stale (missing included)."""
    r = snapshot.results
    mask = (
        r["municipality_id"].isin(list(municipality_ids))
        & r["scored"].astype(bool)
        & ~r["stale"].astype(bool)
    )
    return r[mask]


def headline(snapshot: Snapshot, country: str | None = None) -> Headline:
    """Municipalities, returns received for the latest year, reporting rate (active municipalities
    with a current return / active municipalities), and the status and trend shares over the
    active municipalities' current scored results."""
    scope = in_scope(snapshot, country)
    active = scope[scope["active"].astype(bool)]
    year = snapshot.latest_year
    returns = snapshot.returns
    if year is None:
        received = returns.iloc[0:0]
    else:
        received = returns[
            (returns["year"] == year)
            & (returns["status"] == "current")
            & returns["municipality_id"].isin(scope["id"])
        ]
    received_ids = set(received["municipality_id"])
    n_reporting = len(received_ids & set(active["id"]))
    on_time = received.groupby("municipality_id")["on_time"].any() if not received.empty else pd.Series()
    current = current_results(snapshot, active["id"])
    statuses = current["status"].value_counts()
    all_trends = current["trend"].value_counts()
    scored = snapshot.results[
        snapshot.results["municipality_id"].isin(active["id"]) & snapshot.results["scored"].astype(bool)
    ]
    status_counts = {str(s): int(statuses.get(s.value, 0)) for s in STATUS_KEYS}
    trend_counts = {str(t): int(all_trends.get(t.value, 0)) for t in JUDGED_TRENDS}
    return Headline(
        year=year,
        n_municipalities=len(scope),
        n_active=len(active),
        n_received=len(received_ids),
        n_reporting=n_reporting,
        n_on_time=int(on_time.sum()) if len(on_time) else 0,
        reporting_rate=n_reporting / len(active) if len(active) else None,
        status_counts=status_counts,
        n_with_status=sum(status_counts.values()),
        n_no_data=int(statuses.get(Status.NO_DATA.value, 0)),
        n_stale=int(scored["stale"].astype(bool).sum()),
        trend_counts=trend_counts,
        n_with_trend=sum(trend_counts.values()),
        n_insufficient=int(all_trends.get(Trend.INSUFFICIENT.value, 0)),
    )


@per_snapshot
def all_area_statuses(snapshot: Snapshot, catalog: Catalog) -> dict[int, dict[str, Status]]:
    """Municipality id -> each thematic area's status (area_statuses, the "two worst" rule)."""
    return {int(i): area_statuses(snapshot, catalog, int(i)) for i in snapshot.municipalities["id"]}


@per_snapshot
def area_status_table(snapshot: Snapshot, catalog: Catalog, country: str | None = None) -> pd.DataFrame:
    """Per thematic area, how many active municipalities are green, amber, red or have no data
    (the "two worst" rule of area_statuses). Columns: area, area_name, green, amber, red, no-data,
    municipalities; one row per scored area in catalogue order."""
    active = active_in_scope(snapshot, country)
    areas = [a for a in catalog.areas if a != "context"]
    counts = {a: dict.fromkeys(AREA_STATUS_KEYS, 0) for a in areas}
    statuses = all_area_statuses(snapshot, catalog)
    for municipality_id in active["id"]:
        for area, value in statuses[int(municipality_id)].items():
            counts[area][value] += 1
    rows = [
        {
            "area": a,
            "area_name": catalog.areas[a].name.en,
            **{s.value: counts[a][s] for s in AREA_STATUS_KEYS},
            "municipalities": len(active),
        }
        for a in areas
    ]
    return pd.DataFrame(
        rows, columns=["area", "area_name", *[s.value for s in AREA_STATUS_KEYS], "municipalities"]
    )


@per_snapshot
def indicator_ranking(snapshot: Snapshot, catalog: Catalog, country: str | None = None) -> pd.DataFrame:
    """Every scored indicator with its trends and statuses across the active municipalities'
    current results: n_with_trend (a judged trend), n_progress (on track or target achieved),
    n_deteriorating, their shares of n_with_trend, and the status counts. Sorted by share in
    progress, best first."""
    active = active_in_scope(snapshot, country)
    current = current_results(snapshot, active["id"])
    trend_counts = Counter(zip(current["indicator"], current["trend"], strict=True))
    status_counts = Counter(zip(current["indicator"], current["status"], strict=True))
    rows = []
    for ind in catalog.indicators.values():
        if not ind.scored:
            continue
        by_trend = {t.value: trend_counts[(ind.code, t.value)] for t in [*JUDGED_TRENDS, Trend.INSUFFICIENT]}
        n_with_trend = sum(by_trend[t.value] for t in JUDGED_TRENDS)
        n_progress = sum(by_trend[t.value] for t in PROGRESS_TRENDS)
        n_det = by_trend[Trend.DETERIORATING.value]
        rows.append(
            {
                "indicator": ind.code,
                "name": ind.name.en,
                "area": ind.area,
                "n_with_trend": n_with_trend,
                "n_progress": n_progress,
                "n_deteriorating": n_det,
                "share_progress": n_progress / n_with_trend if n_with_trend else None,
                "share_deteriorating": n_det / n_with_trend if n_with_trend else None,
                **{f"n_{t.value}": by_trend[t.value] for t in [*JUDGED_TRENDS, Trend.INSUFFICIENT]},
                **{f"n_{s.value}": status_counts[(ind.code, s.value)] for s in AREA_STATUS_KEYS},
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.sort_values(
        ["share_progress", "n_progress", "share_deteriorating", "indicator"],
        ascending=[False, False, True, True],
        na_position="last",
    ).reset_index(drop=True)


def _min_municipalities(n_active: int) -> int:
    return max(1, min(MIN_MUNICIPALITIES, n_active))


def most_progress(ranking: pd.DataFrame, n_active: int, limit: int = 5) -> pd.DataFrame:
    """The indicators with the largest share of municipalities on track or at target."""
    if ranking.empty:
        return ranking
    enough = ranking[(ranking["n_with_trend"] >= _min_municipalities(n_active)) & (ranking["n_progress"] > 0)]
    return enough.sort_values(
        ["share_progress", "n_progress", "share_deteriorating", "indicator"],
        ascending=[False, False, True, True],
    ).head(limit)


def most_concern(ranking: pd.DataFrame, n_active: int, limit: int = 5) -> pd.DataFrame:
    """The indicators with the largest share of municipalities deteriorating."""
    if ranking.empty:
        return ranking
    enough = ranking[
        (ranking["n_with_trend"] >= _min_municipalities(n_active)) & (ranking["n_deteriorating"] > 0)
    ]
    return enough.sort_values(
        ["share_deteriorating", "n_deteriorating", "share_progress", "indicator"],
        ascending=[False, False, True, True],
    ).head(limit)


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _pct(share: float) -> str:
    return f"{round(100 * share)}%"


@per_snapshot
def highlights(snapshot: Snapshot, catalog: Catalog, country: str | None = None) -> list[str]:
    """A few plain sentences about the latest reporting year, generated from the data."""
    head = headline(snapshot, country)
    if head.year is None:
        return ["No return has been received yet: there is nothing to summarise."]
    year = head.year
    sentences = []
    where = "" if not country else f" in {dict(countries(snapshot)).get(country, country)}"
    if head.n_active:
        sentence = f"{head.n_reporting} of {head.n_active} municipalities{where} sent their {year} return"
        if head.n_reporting:
            sentence += f" ({_pct(head.reporting_rate or 0)}); {head.n_on_time} of them on time."
        else:
            sentence += "."
        sentences.append(sentence)
        active = active_in_scope(snapshot, country)
        sent = set(
            snapshot.returns[(snapshot.returns["year"] == year) & (snapshot.returns["status"] == "current")][
                "municipality_id"
            ]
        )
        missing = active[~active["id"].isin(sent)]
        if 0 < len(missing) <= 6:
            sentences.append(f"Still to come for {year}: {_names(display_names(snapshot, missing))}.")
        elif len(missing) > 6:
            sentences.append(f"{len(missing)} municipalities have not sent their {year} return yet.")
    if head.n_with_status:
        sentences.append(
            f"Of {head.n_with_status} current indicator values, "
            f"{_pct(head.status_share(Status.GREEN) or 0)} are {STATUS_LABELS[Status.GREEN].lower()} "
            f"and {_pct(head.status_share(Status.RED) or 0)} {STATUS_LABELS[Status.RED].lower()}."
        )
    if head.n_with_trend:
        progress = sum(head.trend_counts[t.value] for t in PROGRESS_TRENDS) / head.n_with_trend
        sentences.append(
            f"{_pct(progress)} of the results with a trend are on track or have reached their 2030 target; "
            f"{_pct(head.trend_share(Trend.DETERIORATING) or 0)} are deteriorating."
        )
    table = area_status_table(snapshot, catalog, country)
    if not table.empty and head.n_active:
        best = table.sort_values([Status.GREEN.value, "area"], ascending=[False, True]).iloc[0]
        if best[Status.GREEN.value] > 0:
            sentences.append(
                f"{best['area_name']} has the most municipalities in good standing "
                f"({best[Status.GREEN.value]} of {best['municipalities']})."
            )
        worst = table.sort_values([Status.RED.value, "area"], ascending=[False, True]).iloc[0]
        if worst[Status.RED.value] > 0:
            sentences.append(
                f"{worst['area_name']} has the most municipalities far behind "
                f"({worst[Status.RED.value]} of {worst['municipalities']})."
            )
    ranking = indicator_ranking(snapshot, catalog, country)
    top = most_progress(ranking, head.n_active, limit=1)
    if not top.empty:
        r = top.iloc[0]
        sentences.append(
            f"Most progress: {r['name']} ({r['indicator']}), on track or at target in "
            f"{r['n_progress']} of {r['n_with_trend']} municipalities."
        )
    concern = most_concern(ranking, head.n_active, limit=1)
    if not concern.empty:
        r = concern.iloc[0]
        sentences.append(
            f"Most concern: {r['name']} ({r['indicator']}), deteriorating in "
            f"{r['n_deteriorating']} of {r['n_with_trend']} municipalities."
        )
    return sentences


def display_names(snapshot: Snapshot, frame: pd.DataFrame) -> list[str]:
    """Municipality names, with the region added where two municipalities share a name."""
    counts = snapshot.municipalities["name"].value_counts()
    return [
        f"{r.name} ({r.region})" if counts.get(r.name, 0) > 1 else str(r.name) for r in frame.itertuples()
    ]
