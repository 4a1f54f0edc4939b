"""The Alembic migrations build exactly the schema the models describe, on SQLite and on Postgres."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from storage.db import alembic_config, head_revisions, migrate, open_engine, stored_revisions
from storage.models import Base
from tests.services import PostgresServer

ROOT = Path(__file__).resolve().parents[2]


def _schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return [d for d in compare_metadata(ctx, Base.metadata)
                # APScheduler creates and owns its own job table.
                if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "apscheduler_jobs")]


def _alembic(engine: Engine, action: str, revision: str) -> None:
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, revision)


def test_migrations_match_the_models(database_url: str) -> None:
    engine = open_engine(database_url)
    migrate(engine)
    diff = _schema_diff(engine)
    engine.dispose()
    assert diff == []


def test_an_empty_database_goes_up_to_head_down_to_base_and_up_again(database_url: str) -> None:
    engine = open_engine(database_url)
    migrate(engine)
    with engine.connect() as conn:
        assert stored_revisions(conn) == head_revisions()
    _alembic(engine, "downgrade", "base")  # every revision's downgrade, newest first
    with engine.connect() as conn:
        assert stored_revisions(conn) == frozenset()
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}, "every table of ours is gone"
    migrate(engine)
    diff = _schema_diff(engine)
    engine.dispose()
    assert diff == []


def test_the_newest_revision_is_read_from_the_migration_files_as_alembic_reads_it() -> None:
    from alembic.script import ScriptDirectory

    assert head_revisions() == frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def test_an_older_database_is_migrated_and_an_up_to_date_one_checked_without_alembic(database_url: str) -> None:
    engine = open_engine(database_url)
    with engine.connect() as conn:
        assert stored_revisions(conn) == frozenset()  # a new database
    _alembic(engine, "upgrade", "0006")  # as a bot of an older release left it
    migrate(engine)
    with engine.connect() as conn:
        assert stored_revisions(conn) == head_revisions()
    engine.dispose()
    # A restart finds it up to date with one query: Alembic (~60 ms of imports) is not loaded at all.
    code = ("import sys; from storage.db import migrate, open_engine; "
            f"migrate(open_engine({database_url!r})); print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr[-2000:]


def test_replicas_starting_together_on_a_new_postgres_database_all_come_up(postgres_server: PostgresServer) -> None:
    """Processes migrate one empty database at once: one builds the schema, the others wait and find it done.

    Three rounds, each on a new database, since the processes do not always collide: without the lock in
    storage.db.migrate about every other round failed on tables another process was creating.
    """
    code = ("import sys; from alembic import command; from storage.db import migrate, open_engine\n"
            "for url in sys.stdin: migrate(open_engine(url.strip())); print('up', flush=True)")
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    urls = [postgres_server.create_database() for _ in range(3)]
    try:
        for url in urls:
            for proc in procs:  # all of them get the URL at once (they imported everything while waiting)
                assert proc.stdin is not None
                proc.stdin.write(url + "\n")
                proc.stdin.flush()
            for proc in procs:
                assert proc.stdout is not None
                assert proc.stdout.readline() == "up\n", proc.communicate(timeout=30)[1][-1500:]
            engine = open_engine(url)
            diff = _schema_diff(engine)
            engine.dispose()
            assert diff == []
    finally:
        for proc in procs:
            proc.kill()
            proc.communicate()
        for url in urls:
            postgres_server.drop_database(url)
