"""Pure functions from the database (or the catalogue) to plain data for the pages."""

from __future__ import annotations

import datetime as dt
import unicodedata

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError

from data_ingest.catalog import Catalog, Indicator
from data_ingest.models import Submission


def data_freshness(engine: Engine) -> dt.datetime | None:
    """When the newest accepted submission was received; None when nothing was received."""
    try:
        with engine.connect() as connection:
            return connection.execute(
                select(func.max(Submission.received_at)).where(Submission.status == "accepted")
            ).scalar_one_or_none()
    except OperationalError:  # database not created yet
        return None


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def search_indicators(
    catalog: Catalog, *, query: str | None = None, area: str | None = None, scored: str | None = None
) -> list[Indicator]:
    """Indicators matching every word of ``query`` (code, names in all languages, SDG codes,
    raw fields, source), within ``area`` and, if ``scored`` is "scored"/"context", that kind."""
    words = _fold(query or "").split()
    found = []
    for ind in catalog.indicators.values():
        if area and ind.area != area:
            continue
        if scored == "scored" and not ind.scored or scored == "context" and ind.scored:
            continue
        haystack = _fold(
            " ".join(
                [
                    ind.code,
                    ind.name.en,
                    ind.name.fr,
                    ind.name.es,
                    ind.description.en,
                    " ".join(ind.sdg_targets),
                    " ".join(f"sdg {s}" for s in ind.sdg_targets),
                    ind.formula,
                    ind.source,
                    ind.kind,
                ]
            )
        )
        if all(w in haystack for w in words):
            found.append(ind)
    return found
