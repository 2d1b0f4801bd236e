"""Loading the bundled sample data through the real ingestion path (register import, then every
return validated and stored exactly as an upload would be)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, select

from .catalog import Catalog
from .db import session_scope
from .models import Municipality, Submission
from .register import read_register
from .settings import PROJECT_ROOT, Settings
from .store import import_municipalities, ingest

log = logging.getLogger(__name__)
SAMPLE_DIR = PROJECT_ROOT / "sample_data"
RETURN_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".csv"}


@dataclass
class SampleLoad:
    accepted: int = 0
    rejected: list[str] = field(default_factory=list)
    duplicates: int = 0


def database_is_empty(engine: Engine) -> bool:
    with session_scope(engine) as session:
        return not session.scalar(select(func.count()).select_from(Municipality)) and not session.scalar(
            select(func.count()).select_from(Submission)
        )


def sample_returns(folder: Path = SAMPLE_DIR) -> list[Path]:
    """The sample returns in the order they are loaded (file names start with the date sent)."""
    return sorted(p for p in (folder / "returns").iterdir() if p.suffix.lower() in RETURN_SUFFIXES)


def date_sent(path: Path) -> dt.datetime | None:
    """Sample file names start with the date the return was sent ("2016-03-14_XAA-001_...")."""
    try:
        return dt.datetime.strptime(path.name[:10], "%Y-%m-%d").replace(hour=9)
    except ValueError:
        return None


def load_sample_data(
    *, engine: Engine, catalog: Catalog, settings: Settings, folder: Path = SAMPLE_DIR
) -> SampleLoad:
    """Import the sample register and ingest every sample return (warnings accepted)."""
    frame = read_register((folder / "municipalities.csv").read_bytes())
    with session_scope(engine) as session:
        import_municipalities(session=session, frame=frame)
    result = SampleLoad()
    for path in sample_returns(folder):
        outcome = ingest(
            engine=engine,
            catalog=catalog,
            settings=settings,
            data=path.read_bytes(),
            filename=path.name,
            uploader="sample-data",
            accept_warnings=True,
            received_at=date_sent(path),
        )
        if outcome.status == "accepted":
            result.accepted += 1
        elif outcome.status == "duplicate":
            result.duplicates += 1
        else:
            result.rejected.append(path.name)
            log.warning("sample return %s was %s:\n%s", path.name, outcome.status, outcome.report.to_text())
    return result
