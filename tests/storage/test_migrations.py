"""The Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage.db import migrate, open_engine
from storage.models import Base


def test_migrations_match_the_models(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path}/m.db")
    migrate(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [d for d in compare_metadata(ctx, Base.metadata)
                # APScheduler creates and owns its own job table.
                if not (d[0] == "remove_table" and d[1].name == "apscheduler_jobs")]
    engine.dispose()
    assert diff == []
