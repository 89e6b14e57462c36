"""Real PostgreSQL and MariaDB servers for tests: throwaway databases, Chinook loaded once per session.

Tests that need a server skip with the reason when it is unreachable, unless
``PIISCAN_REQUIRE_SERVICES=1`` (set by ``.ci/run``) turns the skip into a failure.
Every database made here has a unique name and is dropped afterwards.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.conftest import shared_dataset

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
MY_HOST, MY_PORT, MY_USER = "127.0.0.1", 3306, "root"


def unavailable(reason: str) -> None:
    """Skip, or fail when services are required."""
    if os.environ.get("PIISCAN_REQUIRE_SERVICES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def unique_name(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


# -- PostgreSQL ----------------------------------------------------------------------
def pg_url(database: str, user: str = PG_USER, password: str | None = None) -> str:
    auth = user if password is None else f"{user}:{password}"
    return f"postgresql://{auth}@{PG_HOST}:{PG_PORT}/{database}"


def pg_connect(database: str = "postgres", autocommit: bool = True):
    import psycopg

    try:
        return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database, autocommit=autocommit)
    except psycopg.OperationalError as exc:
        unavailable(f"PostgreSQL at {PG_HOST}:{PG_PORT} is unreachable: {str(exc).strip().splitlines()[0]}")
        raise


@contextmanager
def pg_database(prefix: str = "piiscan_test") -> Iterator[str]:
    """A new, empty PostgreSQL database; its name.  Dropped (connections terminated) afterwards."""
    name = unique_name(prefix)
    with pg_connect() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with pg_connect() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_load_chinook(database: str) -> None:
    """Chinook's PostgreSQL script into ``database`` (the script's own DROP/CREATE DATABASE lines are skipped)."""
    script = shared_dataset("chinook", "Chinook_PostgreSql.sql").read_text(encoding="utf-8")
    script = re.sub(r"(?im)^\s*(DROP DATABASE|CREATE DATABASE|\\c)\b.*$", "", script)
    proc = subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER, "-d", database],
        input=script,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise AssertionError(f"loading Chinook into PostgreSQL failed: {proc.stderr[-2000:]}")


# -- MariaDB / MySQL ----------------------------------------------------------------------
def my_url(database: str, user: str = MY_USER, password: str | None = None, scheme: str = "mysql") -> str:
    auth = user if not password else f"{user}:{password}"
    return f"{scheme}://{auth}@{MY_HOST}:{MY_PORT}/{database}"


def my_connect(database: str | None = None):
    import pymysql

    try:
        return pymysql.connect(
            host=MY_HOST, port=MY_PORT, user=MY_USER, password="", database=database, autocommit=True, charset="utf8mb4"
        )
    except pymysql.err.OperationalError as exc:
        unavailable(f"MariaDB at {MY_HOST}:{MY_PORT} is unreachable: {exc.args[-1]}")
        raise


@contextmanager
def my_database(prefix: str = "piiscan_test") -> Iterator[str]:
    """A new, empty MariaDB database; its name.  Dropped afterwards."""
    name = unique_name(prefix)
    conn = my_connect()
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    conn.close()
    try:
        yield name
    finally:
        conn = my_connect()
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


def my_load_chinook(database: str) -> None:
    """Chinook's MySQL script into ``database`` (its own database statements are skipped)."""
    script = shared_dataset("chinook", "Chinook_MySql.sql").read_text(encoding="utf-8")
    script = re.sub(r"(?im)^\s*(DROP DATABASE|CREATE DATABASE|USE)\b.*$", "", script)
    proc = subprocess.run(
        ["mariadb", "-h", MY_HOST, "-P", str(MY_PORT), "-u", MY_USER, database],
        input=script,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise AssertionError(f"loading Chinook into MariaDB failed: {proc.stderr[-2000:]}")


# -- reading and writing test databases directly (expected values come from SQL, not from piiscan) ------------
def pg_query(database: str, sql: str) -> list[tuple]:
    with pg_connect(database) as db:
        return db.execute(sql).fetchall()


def pg_execute(database: str, sql: str) -> None:
    with pg_connect(database) as db:
        db.execute(sql)


def my_query(database: str, sql: str) -> list[tuple]:
    conn = my_connect(database)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())
    finally:
        conn.close()


def my_execute(database: str, sql: str) -> None:
    my_query(database, sql)
