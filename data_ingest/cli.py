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
    principal = _acting_user(engine, args.as_user) if args.as_user else None
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
            principal=principal,
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
        elif outcome.status == "refused":
            print(f"  REFUSED for {principal.username}: nothing stored.")  # type: ignore[union-attr]
            worst = max(worst, 1)
        else:
            print("  ALREADY RECEIVED: nothing stored twice.")
    return worst


def _acting_user(engine, username: str):  # noqa: ANN001, ANN202
    """The account `--as USER` names, as a Principal; exits with a message if it cannot act."""
    from .accounts import get_user, principal_of
    from .db import session_scope

    with session_scope(engine) as session:
        user = get_user(session, username)
        if user is None or not user.active:
            print(f"no active account “{username}”: see `migdash users list`", file=sys.stderr)
            raise SystemExit(2)
        return principal_of(user)


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
    serve(settings, workers=args.workers, threads=args.threads)
    return 0


# --- accounts and the audit log


def _read_password(args: argparse.Namespace) -> str:
    """From standard input (first line) with --password-stdin, else typed twice at a prompt; never
    from the command line, where other users of the machine could read it."""
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        print("The two passwords differ; nothing was changed.", file=sys.stderr)
        raise SystemExit(1)
    return first


def _account_change(args: argparse.Namespace, change: Callable, action: str, **detail: object) -> int:
    """Run one account change and its audit line in one transaction; plain words on refusal."""
    from .accounts import AccountError, cli_principal
    from .audit import record
    from .db import session_scope

    engine = _engine(_settings(args))
    try:
        with session_scope(engine) as session:
            user = change(session)
            record(session, actor=cli_principal().username, action=action, target=user.username, **detail)
            codes = ", ".join(sorted(m.code for m in user.municipalities))
            print(
                f"{user.username}: {user.role}{f' for {codes}' if codes else ''}, "
                f"{'active' if user.active else 'disabled'}"
            )
    except AccountError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    from .accounts import add_user

    password = _read_password(args)
    return _account_change(
        args,
        lambda s: add_user(
            s, username=args.name, role=args.role, password=password, municipality_codes=args.municipality
        ),
        "user-added",
        role=args.role,
        municipalities=sorted(args.municipality),
    )


def cmd_users_set_role(args: argparse.Namespace) -> int:
    from .accounts import set_role

    return _account_change(
        args,
        lambda s: set_role(s, username=args.name, role=args.role, municipality_codes=args.municipality),
        "role-changed",
        role=args.role,
        municipalities=sorted(args.municipality),
    )


def cmd_users_disable(args: argparse.Namespace) -> int:
    from .accounts import set_active

    return _account_change(args, lambda s: set_active(s, username=args.name, active=False), "user-disabled")


def cmd_users_enable(args: argparse.Namespace) -> int:
    from .accounts import set_active

    return _account_change(args, lambda s: set_active(s, username=args.name, active=True), "user-enabled")


def cmd_users_reset_password(args: argparse.Namespace) -> int:
    from .accounts import reset_password

    password = _read_password(args)
    return _account_change(
        args, lambda s: reset_password(s, username=args.name, password=password), "password-reset"
    )


def cmd_users_list(args: argparse.Namespace) -> int:
    from .accounts import list_users
    from .db import session_scope
    from .models import utcnow

    now = utcnow()
    with session_scope(_engine(_settings(args))) as session:
        users = list_users(session)
        if not users:
            print("No accounts yet. Create one with `migdash users add NAME --role admin`.")
            return 0
        print(f"{'user':<24} {'role':<10} {'state':<26} {'last login':<17} municipalities")
        for user in users:
            state = "active" if user.active else "disabled"
            if user.locked_until and user.locked_until > now:
                state = f"locked until {user.locked_until:%H:%M} UTC"
            last = f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never"
            codes = ", ".join(sorted(m.code for m in user.municipalities)) or "all"
            print(f"{user.username:<24} {user.role:<10} {state:<26} {last:<17} {codes}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    import json

    from .audit import ACTIONS, describe, events
    from .db import session_scope

    if args.action and args.action not in ACTIONS:
        print(f"unknown action {args.action!r}: choose one of {', '.join(ACTIONS)}", file=sys.stderr)
        return 2
    with session_scope(_engine(_settings(args))) as session:
        found = events(session, limit=args.limit, actor=args.user, action=args.action)
        for event in found:
            if args.json:
                print(
                    json.dumps(
                        {
                            "at": f"{event.at:%Y-%m-%dT%H:%M:%S}Z",
                            "actor": event.actor,
                            "action": event.action,
                            "target": event.target,
                            "ip": event.ip,
                            "detail": event.detail,
                        },
                        ensure_ascii=False,
                    )
                )
            else:
                print(
                    f"{event.at:%Y-%m-%d %H:%M:%S} UTC  {event.actor:<20} {event.action:<17} "
                    f"{event.target:<18} {event.ip:<15} {describe(event)}".rstrip()
                )
    if not found and not args.json:
        print("No events.")
    return 0


def cmd_db_backup(args: argparse.Namespace) -> int:
    from .db import backup

    settings = _settings(args)
    target = Path(args.file)
    try:
        size = backup(_engine(settings), target)
    except (ValueError, OSError) as exc:
        print(f"backup not made: {exc}", file=sys.stderr)
        return 1
    print(f"database copied to {target} ({size / 1024 / 1024:.1f} MB, integrity check ok)")
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
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes of the production server (default: 1)"
    )
    serve.add_argument("--threads", type=int, default=8, help="threads per worker (default: 8)")

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
    ingest.add_argument(
        "--as",
        dest="as_user",
        metavar="USER",
        help="act for this account: its role and municipalities are enforced and it is the uploader",
    )
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
    backup = add(
        "backup", cmd_db_backup, "copy the live SQLite database to FILE (online backup)", db_commands
    )
    backup.add_argument("file", help="the copy to write (must not exist yet)")

    users = commands.add_parser("users", help="accounts and roles")
    users_commands = users.add_subparsers(dest="users_command", required=True, metavar="COMMAND")
    roles = ["admin", "programme", "local", "viewer"]
    user_add = add(
        "add", cmd_users_add, "create an account (password from a prompt or stdin)", users_commands
    )
    user_add.add_argument("name")
    user_add.add_argument("--role", required=True, choices=roles)
    user_add.add_argument(
        "--municipality",
        action="append",
        default=[],
        metavar="CODE",
        help="for a local user; repeat for more",
    )
    user_add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add("list", cmd_users_list, "list accounts, roles, municipalities and locks", users_commands)
    for name, func, text in (
        ("disable", cmd_users_disable, "disable an account (it can no longer log in; sessions end)"),
        ("enable", cmd_users_enable, "enable an account again (also lifts a lock)"),
    ):
        add(name, func, text, users_commands).add_argument("name")
    set_role = add(
        "set-role", cmd_users_set_role, "change an account's role and municipalities", users_commands
    )
    set_role.add_argument("name")
    set_role.add_argument("role", choices=roles)
    set_role.add_argument("--municipality", action="append", default=[], metavar="CODE")
    reset = add(
        "reset-password", cmd_users_reset_password, "set a new password for an account", users_commands
    )
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    audit = add("audit", cmd_audit, "show the audit log, newest first")
    audit.add_argument("--limit", type=int, default=50)
    audit.add_argument("--user", help="only this actor")
    audit.add_argument("--action", help="only this action, e.g. login-failed")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
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
