"""The bundled sample data loads through the real ingestion path, completely."""

from __future__ import annotations

import csv

from sqlalchemy import func, select

from data_ingest.catalog import load_catalog
from data_ingest.db import make_engine, session_scope, upgrade
from data_ingest.models import Municipality, ReturnRecord, Submission
from data_ingest.sample import SAMPLE_DIR, database_is_empty, load_sample_data, sample_returns


def test_sample_data_loads_completely(settings):
    engine = make_engine(settings)
    upgrade(engine)
    assert database_is_empty(engine)
    result = load_sample_data(engine=engine, catalog=load_catalog(settings.catalog), settings=settings)
    files = sample_returns()
    assert result.rejected == []
    assert result.accepted == len(files) >= 100
    with open(SAMPLE_DIR / "municipalities.csv", encoding="utf-8") as register:
        expected = {row["municipality_code"] for row in csv.DictReader(register)}
    with session_scope(engine) as session:
        assert set(session.scalars(select(Municipality.code))) == expected
        statuses = dict(
            session.execute(select(Submission.status, func.count()).group_by(Submission.status)).all()
        )
        superseded = session.scalar(select(func.count()).where(ReturnRecord.status == "superseded"))
        received = session.scalars(select(Submission.received_at)).all()
    assert statuses.get("superseded", 0) >= 2 and superseded >= 2  # the sample revisions
    # Back-dated from the file names: each submission was received when the file says it was sent.
    assert {r.date().isoformat() for r in received} == {p.name[:10] for p in files}
    assert not database_is_empty(engine)
