"""Throwaway PostgreSQL databases for the benches (127.0.0.1:5432, user postgres, trust auth)."""

from __future__ import annotations

import sqlalchemy as sa

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


class Unreachable(RuntimeError):
    pass


def _admin_engine() -> sa.Engine:
    return sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


def create_database(name: str) -> None:
    """Create `name` afresh (dropping a leftover of an interrupted run); Unreachable when the server is down."""
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        raise Unreachable(f"PostgreSQL is not reachable on 127.0.0.1:5432 ({exc.orig})") from exc
    finally:
        engine.dispose()


def drop_database(name: str) -> None:
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()
