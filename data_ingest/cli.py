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


def _engine(settings: Settings):  # noqa: ANN202
    from .db import make_engine, upgrade

    engine = make_engine(settings)
    upgrade(engine)
    return engine


def cmd_validate(args: argparse.Namespace) -> int:
    import json

    from .db import session_scope
    from .store import prepare

    settings = _settings(args)
    catalog = _load_catalog_or_exit(settings)
    path = Path(args.file)
    data = _read_input(path)
    with session_scope(_engine(settings)) as session:
        prepared = prepare(
            session=session,
            catalog=catalog,
            settings=settings,
            data=data,
            filename=path.name,
            default_year=args.year,
        )
    report = prepared.report
    print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if args.json else report.to_text())
    return 0 if report.ok else 1


def _read_input(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        print(f"cannot read {path}: {exc.strerror}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_ingest(args: argparse.Namespace) -> int:
    from .store import ingest

    settings = _settings(args)
    catalog = _load_catalog_or_exit(settings)
    engine = _engine(settings)
    worst = 0
    for name in args.files:
        path = Path(name)
        outcome = ingest(
            engine=engine,
            catalog=catalog,
            settings=settings,
            data=_read_input(path),
            filename=path.name,
            uploader=args.uploader,
            accept_warnings=args.accept_warnings,
            default_year=args.year,
        )
        report = outcome.report
        print(report.to_text())
        if outcome.status == "accepted":
            print(
                f"  ACCEPTED as submission {outcome.submission_id}: {report.summary.get('values', 0)} values "
                f"for {report.summary.get('municipalities', 0)} municipality(ies)."
            )
        elif outcome.status == "rejected":
            print(
                f"  REJECTED (submission {outcome.submission_id}, file kept): fix the errors above, upload "
                "the corrected file. No data was changed."
            )
            worst = max(worst, 1)
        elif outcome.status == "needs-confirmation":
            print(
                "  NOT STORED: check the warnings above; if the figures are right, run again with "
                "--accept-warnings."
            )
            worst = max(worst, 1)
        else:
            print("  ALREADY RECEIVED: nothing stored twice.")
    return worst


def cmd_history(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from .db import session_scope
    from .models import Municipality, ReturnRecord, Submission

    settings = _settings(args)
    with session_scope(_engine(settings)) as session:
        municipality = session.scalar(select(Municipality).where(Municipality.code == args.municipality))
        if municipality is None:
            print(f"no municipality with the code {args.municipality!r}", file=sys.stderr)
            return 1
        rows = session.execute(
            select(Submission, ReturnRecord)
            .outerjoin(
                ReturnRecord,
                (ReturnRecord.submission_id == Submission.id)
                & (ReturnRecord.municipality_id == municipality.id),
            )
            .where((Submission.municipality_id == municipality.id) | (ReturnRecord.id.is_not(None)))
            .order_by(Submission.received_at, Submission.id)
        ).all()
        print(f"{municipality.code} {municipality.name}: {len(rows)} submission(s)")
        print(f"{'id':>5}  {'received (UTC)':<17}  {'year':<5}  {'status':<10}  {'by':<12}  file")
        for submission, record in rows:
            status = (
                submission.status
                if record is None
                else ("accepted" if record.status == "current" else "superseded")
            )
            year = record.year if record is not None else (submission.year or "")
            print(
                f"{submission.id:>5}  {submission.received_at:%Y-%m-%d %H:%M}  {year!s:<5}  {status:<10}  "
                f"{submission.uploader or '-':<12}  {submission.original_filename}"
            )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .db import session_scope
    from .export import export_table, write_table

    settings = _settings(args)
    catalog = _load_catalog_or_exit(settings)
    with session_scope(_engine(settings)) as session:
        table = export_table(session=session, catalog=catalog, settings=settings, what=args.what)
    out = args.output or f"migdash-{args.what}.{args.format}"
    write_table(table, out, args.format)
    print(f"wrote {len(table)} rows to {out}")
    return 0


def cmd_municipalities_import(args: argparse.Namespace) -> int:
    from .db import session_scope
    from .register import RegisterError, read_register
    from .store import import_municipalities

    settings = _settings(args)
    path = Path(args.file)
    try:
        frame = read_register(_read_input(path))
    except RegisterError as exc:
        print(f"{path.name}: {exc}", file=sys.stderr)
        return 1
    with session_scope(_engine(settings)) as session:
        added, updated = import_municipalities(session=session, frame=frame)
    print(f"{added} municipality(ies) added, {updated} updated")
    return 0


def cmd_recompute(args: argparse.Namespace) -> int:
    from .store import recompute

    settings = _settings(args)
    count = recompute(engine=_engine(settings), catalog=_load_catalog_or_exit(settings))
    print(f"recomputed {count} indicator values")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from .db import session_scope
    from .models import Municipality
    from .template import save_template, write_template

    settings = _settings(args)
    catalog = _load_catalog_or_exit(settings)
    with session_scope(_engine(settings)) as session:
        municipality = session.scalar(select(Municipality).where(Municipality.code == args.municipality))
    if municipality is None:
        print(
            f"no municipality with the code {args.municipality!r}; import the register first "
            "(`migdash municipalities import FILE`)",
            file=sys.stderr,
        )
        return 1
    workbook = write_template(
        catalog,
        municipality_code=municipality.code,
        municipality_name=municipality.name,
        year=args.year,
        lang=args.lang,
    )
    out = args.output or f"return-{municipality.code}-{args.year}-{args.lang}.xlsx"
    save_template(workbook, out)
    print(f"wrote {out}")
    return 0


def cmd_load_sample_data(args: argparse.Namespace) -> int:
    from .sample import load_sample_data

    settings = _settings(args)
    result = load_sample_data(
        engine=_engine(settings), catalog=_load_catalog_or_exit(settings), settings=settings
    )
    print(f"{result.accepted} sample returns accepted, {result.duplicates} already there")
    for name in result.rejected:
        print(f"  not accepted: {name}")
    return 1 if result.rejected else 0


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

    validate = add(
        "validate", cmd_validate, "check a return and print its validation report (stores nothing)"
    )
    validate.add_argument("file", help="the return: .xlsx, .xlsm, .xls, .ods or .csv")
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    validate.add_argument("--year", type=int, help="reporting year when the file does not say")

    ingest = add("ingest", cmd_ingest, "validate and store returns (all or nothing per file)")
    ingest.add_argument("files", nargs="+", metavar="FILE")
    ingest.add_argument(
        "--accept-warnings", action="store_true", help="store files whose only issues are warnings"
    )
    ingest.add_argument("--uploader", default="cli", help="who submits (recorded with the submission)")
    ingest.add_argument("--year", type=int, help="reporting year when a file does not say")

    template = add("template", cmd_template, "write the Excel return template for a municipality and year")
    template.add_argument("--municipality", required=True, metavar="CODE")
    template.add_argument("--year", required=True, type=int)
    template.add_argument("--lang", choices=["en", "fr", "es"], default="en")
    template.add_argument("-o", "--output", help="output file (default: return-CODE-YEAR-LANG.xlsx)")

    history = add("history", cmd_history, "list the submissions of one municipality")
    history.add_argument("--municipality", required=True, metavar="CODE")

    export = add("export", cmd_export, "export indicator or raw values as a long table")
    export.add_argument("--what", choices=["indicators", "raw"], default="indicators")
    export.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    export.add_argument("-o", "--output", help="output file (default: migdash-WHAT.FORMAT)")

    municipalities = commands.add_parser("municipalities", help="the municipality register")
    municipalities_commands = municipalities.add_subparsers(
        dest="municipalities_command", required=True, metavar="COMMAND"
    )
    register = add(
        "import",
        cmd_municipalities_import,
        "add or update municipalities from a CSV/Excel register",
        municipalities_commands,
    )
    register.add_argument("file")

    add("recompute", cmd_recompute, "re-derive all indicator values after a catalogue change")
    add("load-sample-data", cmd_load_sample_data, "load the bundled sample municipalities and returns")

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
    if not args.verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return args.func(args)
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        sys.stderr.close()
        return 0
    except ValidationError as exc:
        # Settings from the environment failed validation: say which variable, not a traceback.
        for err in exc.errors():
            name = "MIGDASH_" + str(err["loc"][0]).upper() if err["loc"] else "settings"
            print(f"invalid setting {name}: {err['msg']} (found {err.get('input')!r})", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
