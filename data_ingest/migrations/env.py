"""Alembic environment: runs migrations on the engine handed over by data_ingest.db.upgrade."""

from alembic import context

from data_ingest.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables
    )
    context.run_migrations()
