"""What the pages need at request time: settings, the catalogue and a database engine."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Engine

from data_ingest.catalog import Catalog, load_catalog
from data_ingest.db import make_engine
from data_ingest.settings import Settings


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    catalog: Catalog
    engine: Engine


def build_context(settings: Settings) -> AppContext:
    return AppContext(settings=settings, catalog=load_catalog(settings.catalog), engine=make_engine(settings))


def get_context() -> AppContext:
    """The context of the app serving the current request."""
    return current_app.config["MIGDASH"]


def get_snapshot():  # noqa: ANN201 - dashboard.queries.snapshot.Snapshot
    """The cached data snapshot of the app serving the current request."""
    from dashboard.queries.snapshot import get_snapshot as build

    context = get_context()
    return build(context.engine, context.catalog, context.settings)
