"""Status badges and trend arrows: colour, symbol and label together, never colour alone."""

from __future__ import annotations

from dash import html

from dashboard.scoring import (
    STATUS_COLOURS,
    STATUS_LABELS,
    STATUS_SYMBOLS,
    TREND_LABELS,
    TREND_SYMBOLS,
    Status,
    Trend,
)


def status_badge(status: str | Status | None, *, stale: bool = False) -> html.Span:
    """E.g. "✔ Good" on a green-edged badge; "(stale)" added when the value is old."""
    value = Status(status) if status else Status.NO_DATA
    label = STATUS_LABELS[value] + (" (stale)" if stale else "")
    return html.Span(
        [html.Span(STATUS_SYMBOLS[value], className="badge-symbol", **{"aria-hidden": "true"}), label],
        className=f"status-badge status-{value.value}" + (" stale" if stale else ""),
        style={"borderColor": STATUS_COLOURS[value]},
        title=f"Status: {label}",
    )


def trend_badge(trend: str | Trend | None) -> html.Span:
    value = Trend(trend) if trend else Trend.INSUFFICIENT
    return html.Span(
        [
            html.Span(TREND_SYMBOLS[value], className="badge-symbol", **{"aria-hidden": "true"}),
            TREND_LABELS[value],
        ],
        className=f"trend-badge trend-{value.value}",
        title=f"Trend: {TREND_LABELS[value]}",
    )
