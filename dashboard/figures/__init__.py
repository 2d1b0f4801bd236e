"""DataFrame -> plotly Figure builders, pure and unit-tested; one module per page."""

from __future__ import annotations

from dashboard.scoring import STATUS_COLOURS, Status

# Colour-blind-safe (Okabe-Ito) palette for lines; statuses use dashboard.scoring.STATUS_COLOURS.
LINE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
STATUS_ORDER = [Status.GREEN, Status.AMBER, Status.RED, Status.NO_DATA]
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, sans-serif"
# Chart toolbar: PNG export stays, everything that needs the internet is off.
GRAPH_CONFIG = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
    "modeBarButtonsToRemove": ["sendDataToCloud", "lasso2d", "select2d"],
}


def base_layout(**extra: object) -> dict:
    """Common layout: readable font, no plotly branding, room for labels."""
    return {
        "font": {"family": FONT, "size": 13},
        "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
        **extra,
    }


__all__ = ["GRAPH_CONFIG", "LINE_COLOURS", "STATUS_COLOURS", "STATUS_ORDER", "base_layout"]
