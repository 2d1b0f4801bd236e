"""The `migdash` command line.

Every command reads the same Settings (MIGDASH_* environment variables), so several independent
instances can run side by side, each with its own data folder and database.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from .settings import Settings, get_settings

log = logging.getLogger("migdash")


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "catalog", None):
        overrides["catalog"] = Path(args.catalog)
    return get_settings(**overrides)


def _load_catalog_or_exit(settings: Settings):  # noqa: ANN202
    from .catalog import CatalogLoadError, load_catalog

    try:
        return load_catalog(settings.catalog)
    except CatalogLoadError as exc:
        print(exc, file=sys.stderr)
        print("Fix the catalogue and run `migdash catalog check` again.", file=sys.stderr)
        raise SystemExit(1) from None


def cmd_catalog_check(args: argparse.Namespace) -> int:
    from .catalog import CatalogLoadError, load_catalog

    settings = _settings(args)
    try:
        catalog = load_catalog(settings.catalog)
    except CatalogLoadError as exc:
        errors = [p for p in exc.problems if p.severity == "error"]
        for problem in exc.problems:
            print(problem)
        print(f"\n{len(errors)} error(s); the catalogue cannot be used until they are fixed.")
        return 1
    for warning in catalog.warnings:
        print(warning)
    print(f"{settings.catalog}: OK")
    print(f"{'area':<16}{'scored':>8}{'unscored':>10}")
    for area, (scored, unscored) in catalog.counts().items():
        print(f"{area:<16}{scored:>8}{unscored:>10}")
    total_scored = sum(s for s, _ in catalog.counts().values())
    total_unscored = sum(u for _, u in catalog.counts().values())
    print(f"{'total':<16}{total_scored:>8}{total_unscored:>10}")
    print(f"{len(catalog.raw_fields)} raw fields, {len(catalog.warnings)} warning(s)")
    return 0


def cmd_catalog_docs(args: argparse.Namespace) -> int:
    from .catalog_docs import render_catalog_markdown

    settings = _settings(args)
    text = render_catalog_markdown(_load_catalog_or_exit(settings))
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from .db import current_revision, make_engine, upgrade

    settings = _settings(args)
    engine = make_engine(settings)
    upgrade(engine)
    url = engine.url.render_as_string(hide_password=True)
    print(f"database {url} is at revision {current_revision(engine)}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from app import prepare, serve

    settings = _settings(args)
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = settings.model_copy(update=overrides)
    prepare(settings)
    serve(settings)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="migdash",
        description="Dashboard of Indicators on Making Migration Work for SDGs at Local Level.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="more log output")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], help: str, parent=commands):  # noqa: ANN001, A002
        sub = parent.add_parser(name, help=help, description=help)
        sub.set_defaults(func=func)
        return sub

    serve = add("serve", cmd_serve, "serve the dashboard (creates the database on first start)")
    serve.add_argument("--host", help="address to listen on (default: MIGDASH_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: MIGDASH_PORT or 8050)")
    serve.add_argument("--catalog", help="catalogue file (default: MIGDASH_CATALOG)")

    catalog = commands.add_parser("catalog", help="check the indicator catalogue or generate its docs")
    catalog_commands = catalog.add_subparsers(dest="catalog_command", required=True, metavar="COMMAND")
    check = add("check", cmd_catalog_check, "check the catalogue and print counts per area", catalog_commands)
    check.add_argument("--catalog", help="catalogue file (default: MIGDASH_CATALOG)")
    docs = add(
        "docs", cmd_catalog_docs, "write the catalogue as Markdown (docs/catalogue.md)", catalog_commands
    )
    docs.add_argument("--catalog", help="catalogue file (default: MIGDASH_CATALOG)")
    docs.add_argument("-o", "--output", default="-", help="output file (default: standard output)")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    add("upgrade", cmd_db_upgrade, "create the database or upgrade it to the newest schema", db_commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except ValidationError as exc:
        # Settings from the environment failed validation: say which variable, not a traceback.
        for err in exc.errors():
            name = "MIGDASH_" + str(err["loc"][0]).upper() if err["loc"] else "settings"
            print(f"invalid setting {name}: {err['msg']} (found {err.get('input')!r})", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
