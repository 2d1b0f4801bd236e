"""Entry point: `python app.py` (or `migdash serve`) serves the dashboard."""

from __future__ import annotations

import logging

import dash

from dashboard.context import AppContext, build_context
from data_ingest.settings import Settings, get_settings

log = logging.getLogger("migdash")

INDEX_STRING = """<!DOCTYPE html>
<html lang="en">
<head>
{%metas%}
<title>{%title%}</title>
{%favicon%}
{%css%}
</head>
<body>
{%app_entry%}
{%config%}
{%scripts%}
{%renderer%}
</body>
</html>"""


def create_app(settings: Settings | None = None, context: AppContext | None = None) -> dash.Dash:
    """Build the Dash app for these settings (no work happens at import time)."""
    from dashboard import auth, shell

    settings = settings or get_settings()
    context = context or build_context(settings)
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",  # pages are imported explicitly below, once per process
        assets_folder=str(shell.ASSETS),
        title="migdash — migration and the SDGs at local level",
        serve_locally=True,  # every script and style comes from this server: works offline
        suppress_callback_exceptions=True,
        update_title=None,
    )
    app.index_string = INDEX_STRING
    app.server.config["MIGDASH"] = context
    app.server.secret_key = settings.resolved_secret_key()
    # Uploads travel base64-encoded inside Dash's JSON (4/3 of the file) plus some envelope.
    app.server.config["MAX_CONTENT_LENGTH"] = int(settings.max_upload_mb * 1024 * 1024 * 4 / 3) + 1024 * 1024
    shell.import_pages()
    app.layout = shell.layout
    auth.install(app, settings)
    return app


def prepare(settings: Settings) -> None:
    """Create or upgrade the database and, on the very first start, load the sample returns, so
    that `make run` shows a working dashboard at once."""
    from data_ingest.catalog import load_catalog
    from data_ingest.db import make_engine, upgrade
    from data_ingest.sample import SAMPLE_DIR, database_is_empty, load_sample_data

    engine = make_engine(settings)
    upgrade(engine)
    settings.resolved_secret_key()  # once, before server workers start
    if (
        settings.load_sample_data
        and database_is_empty(engine)
        and (SAMPLE_DIR / "municipalities.csv").exists()
    ):
        log.info("empty database: loading the sample returns from %s", SAMPLE_DIR)
        result = load_sample_data(engine=engine, catalog=load_catalog(settings.catalog), settings=settings)
        log.info("sample data loaded: %d returns accepted", result.accepted)
    from data_ingest.accounts import count_users
    from data_ingest.db import session_scope

    with session_scope(engine) as session:
        if not count_users(session):
            log.info(
                "no accounts yet: anyone can read the dashboard, nobody can upload. Create an administrator "
                "with `migdash users add NAME --role admin` (see docs/security.md)."
            )


def serve(settings: Settings, workers: int = 1, threads: int = 8) -> None:
    """Serve with gunicorn (a production WSGI server; ``workers`` processes of ``threads`` threads
    each), or with Flask's own server where gunicorn does not run (Windows)."""
    log.info("serving the dashboard on http://%s:%s", settings.host, settings.port)
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        log.warning("gunicorn is not available here: using Flask's built-in server (not for production)")
        create_app(settings).run(host=settings.host, port=settings.port, debug=False)
        return

    class Server(BaseApplication):
        def load_config(self) -> None:
            options: dict[str, object] = {
                "bind": f"{settings.host}:{settings.port}",
                "workers": workers,
                "worker_class": "gthread",
                "threads": threads,
                "timeout": 120,  # a large upload is read and checked within the request
                "accesslog": "-",
                "errorlog": "-",
                "proc_name": "migdash",
            }
            if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 24: one socket per $HOME
                options["control_socket_disable"] = True
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):  # noqa: ANN202 - each worker builds its own app (no engine shared across fork)
            return create_app(settings).server

    Server().run()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _settings = get_settings()
    prepare(_settings)
    serve(_settings)
