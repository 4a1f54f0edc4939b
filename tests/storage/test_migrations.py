"""The Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage.db import migrate, open_engine
from storage.models import Base

ROOT = Path(__file__).resolve().parents[2]


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


def test_the_newest_revision_is_read_from_the_migration_files_as_alembic_reads_it():
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config, head_revisions

    assert head_revisions() == frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def test_an_older_database_is_migrated_and_an_up_to_date_one_checked_without_alembic(tmp_path):
    from alembic import command

    from storage.db import alembic_config, head_revisions, stored_revisions

    engine = open_engine(f"sqlite:///{tmp_path}/m.db")
    with engine.begin() as conn:
        assert stored_revisions(conn) == frozenset()  # a new database
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0006")  # as a bot of an older release left it
    migrate(engine)
    with engine.connect() as conn:
        assert stored_revisions(conn) == head_revisions()
    engine.dispose()
    # A restart finds it up to date with one query: Alembic (~60 ms of imports) is not loaded at all.
    code = ("import sys; from storage.db import migrate, open_engine; "
            f"migrate(open_engine('sqlite:///{tmp_path}/m.db')); print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr[-2000:]
