"""Engines, sessions and schema migrations."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, CursorResult, Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Platforms hand out `postgres://`; it means psycopg 3 here, never the psycopg2 default."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(
    url: str, *, pool_size: int | None = None, statement_timeout_ms: int | None = None, **kwargs: Any
) -> Engine:
    """`pool_size` and `statement_timeout_ms` apply to PostgreSQL only: SQLite is one file in one
    process's hands, where neither means anything."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        # Web threads and clock processes share the file: wait for a lock instead of failing at once.
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        OneWriterAtATime().watch(engine)
        return engine
    if pool_size is not None:
        # As many again may open for a burst; beyond that a caller waits for a free connection.
        kwargs.setdefault("pool_size", pool_size)
        kwargs.setdefault("max_overflow", pool_size)
    if statement_timeout_ms is not None:
        kwargs.setdefault("connect_args", {})["options"] = f"-c statement_timeout={int(statement_timeout_ms)}"
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


class OneWriterAtATime:
    """SQLite has one writer at a time. Left to SQLite, the threads of a web worker that want to write
    at once each wait in its busy handler, which sleeps in growing steps (up to 100 ms) and so wakes
    late, long after the lock was free: a tail of seconds under load. Here a writing transaction first
    takes a lock in this process, which hands over the moment it is released; SQLite's wait is then
    left for the other processes' writers only.

    The lock is taken at a transaction's first write (pysqlite begins the SQLite transaction there)
    and released when it commits or rolls back; a thread already holding it (a nested session) goes on.
    """

    WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None  # the thread holding it

    def watch(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before_execute)
        event.listen(engine, "commit", self._ended)
        event.listen(engine, "rollback", self._ended)
        # A connection given back to the pool without either (it should not happen) frees it too.
        event.listen(engine.pool, "checkin", self._returned)

    def _before_execute(self, connection: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if self in connection.info or not statement.lstrip()[:7].upper().startswith(self.WRITES):
            return
        if self._owner == threading.get_ident():
            connection.info[self] = False  # a nested session of the writer: the outer one releases
            return
        self._lock.acquire()
        self._owner = threading.get_ident()
        connection.info[self] = True

    def _returned(self, _dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            self._release(record.info)

    def _ended(self, connection: Connection) -> None:
        self._release(connection.info)

    def _release(self, info: dict[Any, Any]) -> None:
        if info.pop(self, None):
            self._owner = None
            self._lock.release()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed whole or rolled back whole, so no half-written record survives."""
    with sessions.begin() as session:
        yield session


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations; the web and clock processes call this at start so a new SQLite file just works."""
    command.upgrade(alembic_config(engine), revision)


def insert_unless_there(
    session: Session, model: type[Any], values: dict[str, Any], *, unique: list[str], where: Any = None
) -> Any:
    """INSERT … ON CONFLICT DO NOTHING in the session's dialect, for the caller to add its RETURNING:
    a primary key (`insert_once`) or the entity itself, which the session then holds as if loaded."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return (
            pg_insert(model).values(**values).on_conflict_do_nothing(index_elements=unique, index_where=where)
        )
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return (
        sqlite_insert(model).values(**values).on_conflict_do_nothing(index_elements=unique, index_where=where)
    )


def insert_once(
    session: Session, model: type[Any], values: dict[str, Any], *, unique: list[str], where: Any = None
) -> Any | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING key: the new row's primary key, or None if it existed.

    The database, not a read-then-write in Python, decides who created a row, so two clock processes
    racing for the same occurrence create it once. `where` names a partial unique index's condition.
    """
    statement = insert_unless_there(session, model, values, unique=unique, where=where)
    return session.scalar(statement.returning(*model.__mapper__.primary_key))


def locked_or_skipped(session: Session, model: type[Any], key: Any) -> bool:
    """PostgreSQL: lock the row for this transaction unless another one holds it (`FOR UPDATE SKIP
    LOCKED`), so a clock passes over work another clock is claiming instead of queueing behind it;
    False then. SQLite has one writer at a time and no SKIP LOCKED: always True there."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    column = model.__mapper__.primary_key[0]
    return session.scalar(select(column).where(column == key).with_for_update(skip_locked=True)) is not None


def rows_changed(session: Session, statement: Any) -> int:
    """Run a guarded UPDATE and say how many rows it moved: 1 means this caller won the row."""
    result = session.execute(statement)
    assert isinstance(result, CursorResult)
    return int(result.rowcount)
