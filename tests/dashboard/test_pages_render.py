"""Every page's layout and main callback render on the app's own Flask context, without a browser
(fast feedback; the browser tests then check the wiring)."""

from __future__ import annotations

import json

import dash
import pytest
from plotly.utils import PlotlyJSONEncoder

from app import create_app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from data_ingest.db import make_engine, upgrade
    from data_ingest.settings import Settings

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("pages") / "var", secret_key="x", load_sample_data=False
    )
    upgrade(make_engine(settings))
    return create_app(settings)


def render(component) -> str:
    return json.dumps(component, cls=PlotlyJSONEncoder)


def test_every_registered_page_renders(app):
    with app.server.test_request_context("/"):
        for page in dash.page_registry.values():
            layout = page["layout"]
            args = {"code": "WORK-02"} if "<code>" in (page.get("path_template") or "") else {}
            assert render(layout(**args) if callable(layout) else layout)


def test_catalogue_callback_renders(app):
    from dashboard.pages import catalogue

    with app.server.test_request_context("/catalogue"):
        filters, sections, count = catalogue.render("10.c.1", {"area": "", "kind": "all", "lang": "en"})
        assert render([filters, sections])
        assert count.endswith("indicators")
