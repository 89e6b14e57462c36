"""MySQL and MariaDB servers, read-only: one item per table ("db.table"), rows as string batches.

``mysql://user:pass@host:port/db`` (or ``mariadb://``; port 3306 by default)
scans the tables of ``db``; without a database every non-system database the
account can see.  The password comes from the URL, else the variable named by
``password_env``, else ``MYSQL_PWD``; it is never part of ``source``, of
``url`` or of any message.

Every session is made read-only before its first query (``SET SESSION
TRANSACTION READ ONLY``, so a stray write fails with error 1792) and gets a
statement timeout (MariaDB ``max_statement_time`` in seconds, MySQL
``max_execution_time`` in ms, chosen from ``VERSION()``), a metadata-lock
timeout and the UTC time zone (TIMESTAMP values read the same from anywhere).
A connection is never re-established behind our back (PyMySQL's
``ping(reconnect=True)`` would skip that set-up): a dead one is replaced by a
new one set up the same way, and one inherited through ``fork`` is left to the
parent process and replaced too.

Rows are read with keyset pagination on the table's locator key, the primary
key or else a unique index on NOT NULL columns.  The "after the last row"
condition is spelled ``k1 > a OR (k1 = a AND k2 > b)`` rather than ``(k1, k2)
> (a, b)``: MariaDB does not turn the row comparison into an index range and
would rescan the table from the start for every page.  Pages run in
autocommit (each one a consistent read; no snapshot held across the table).
A table with no such key is streamed once with an unbuffered cursor inside
one read-only transaction, its rows numbered in read order.  Values are read
as text; JSON columns (MySQL's JSON type, MariaDB's LONGTEXT with a
``json_valid`` check) are split into one field per JSON path
(``prefs.contact.email``).

Fingerprints are ``"{update_time}:{auto_increment}:{create_time}"`` from
information_schema.TABLES: cheap, but coarse.  ``table_rows``, ``data_length``
and ``index_length`` are left out: InnoDB updates them from background
statistics, seconds after the writes that changed them, so a table nobody
touched would look changed between two scans.  InnoDB's ``update_time`` has
one-second resolution, is kept in memory only (NULL after a restart or when
the table leaves the dictionary cache) and is always NULL for partitioned
tables in MySQL; so an in-place update can go unnoticed, most plausibly
within the same second as the previous scan, or on a partitioned MySQL table.
A view's fingerprint hashes its definition and the statistics of every base
table of the scanned database(s).  (MySQL 8 caches these statistics for a day
unless ``information_schema_stats_expiry`` is 0, which each session sets.)

Foreign keys are the declared ones (information_schema.KEY_COLUMN_USAGE);
relationships nobody declared are suggested by :mod:`piiscan.connectors.relationships`
after an anti-join confirms them, and followed when the scan sets
``extra_foreign_keys``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pyarrow as pa
import pymysql
import pymysql.cursors

from piiscan.connectors import relationships
from piiscan.connectors.base import (
    FETCH_BATCH,
    Connector,
    FetchedRecord,
    ForeignKey,
    ItemProblem,
    ItemRef,
    LocatorKey,
    ReadResult,
    SourceError,
    TableBatch,
    WorkUnit,
    key_range_units,
    key_values,
    locator_json,
    matching_records,
    table_parts,
)
from piiscan.connectors.formats.jsonpath import expand_json_columns
from piiscan.connectors.globs import selected

DEFAULT_PORT = 3306
CONNECT_TIMEOUT_S = 10
SYSTEM_SCHEMAS = ("mysql", "information_schema", "performance_schema", "sys")
NO_KEY_NOTE = "no primary or unique key: rows numbered in read order, not stable across writes"

_BASE_TABLE_TYPES = ("BASE TABLE", "SYSTEM VERSIONED")  # the latter: MariaDB's system-versioned tables
_INTEGER_TYPES = frozenset({"tinyint", "smallint", "mediumint", "int", "integer", "bigint"})
#: MariaDB's JSON columns are LONGTEXT with this check
_JSON_VALID = re.compile(r"json_valid\(`((?:[^`]|``)+)`\)", re.IGNORECASE)
#: Binary and spatial types hold no text to scan.
SKIPPED_TYPES = frozenset(
    {
        "binary",
        "varbinary",
        "tinyblob",
        "blob",
        "mediumblob",
        "longblob",
        "bit",
        "geometry",
        "point",
        "linestring",
        "polygon",
        "multipoint",
        "multilinestring",
        "multipolygon",
        "geometrycollection",
        "geomcollection",
        "vector",
    }
)
#: Server errors whose message names only objects (users, hosts, tables), never row data.
_SAFE_MESSAGE_CODES = frozenset(
    {1040, 1044, 1045, 1049, 1054, 1129, 1130, 1142, 1143, 1146, 1205, 1227, 1317, 1356, 1449, 1792, 1969, 3024}
)


class Unreadable(Exception):
    """A table cannot be read (gone, invisible, changed since planning); the message is a safe one-line reason."""


@dataclass(frozen=True)
class Address:
    """The parts of a ``mysql://`` URL; ``password`` is None when the URL has none."""

    scheme: str
    user: str
    password: str | None
    host: str
    port: int
    database: str | None

    @property
    def source(self) -> str:
        """The URL without the password (it round-trips through :func:`parse_url`)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        user = f"{quote(self.user, safe='')}@" if self.user else ""
        database = f"/{quote(self.database, safe='')}" if self.database else ""
        return f"{self.scheme}://{user}{host}:{self.port}{database}"


def parse_url(url: str) -> Address:
    """``mysql://user:pass@host:port/db``; user, password and database are percent-decoded."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in MySQLConnector.schemes:
        raise ValueError(f"not a MySQL URL (expected mysql:// or mariadb://): {scheme}://")
    if parts.query or parts.fragment:
        raise ValueError(f"{scheme}:// URLs take no query or fragment; pass options instead")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise ValueError(f"{scheme}:// URL has an invalid port") from None
    path = parts.path.strip("/")
    if "/" in path:
        raise ValueError(f"{scheme}:// URL names more than a database: /{path}")
    return Address(
        scheme=scheme,
        user=unquote(parts.username or ""),
        password=None if parts.password is None else unquote(parts.password),
        host=parts.hostname or "localhost",
        port=port,
        database=unquote(path) or None,
    )


def session_setup(version: str, statement_timeout_s: float | None, lock_timeout_s: float) -> list[str]:
    """The statements that make a fresh session read-only and bounded, for the server ``VERSION()`` names."""
    statements = [
        "SET SESSION TRANSACTION READ ONLY",
        f"SET SESSION lock_wait_timeout = {max(1, round(lock_timeout_s))}",
    ]
    timeout = max(0.0, statement_timeout_s or 0.0)
    if "mariadb" in version.lower():
        statements.append(f"SET SESSION max_statement_time = {timeout:g}")
    else:
        statements.append(f"SET SESSION max_execution_time = {round(timeout * 1000)}")
    statements.append("SET SESSION time_zone = '+00:00'")
    return statements


def _ident(name: str) -> str:
    """A quoted identifier, safe inside a query that PyMySQL %-formats (always pass args)."""
    return "`" + name.replace("`", "``").replace("%", "%%") + "`"


def _patterns(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _text(value: Any) -> str | None:
    """Scanned values are text: numbers as written, dates and times in ISO 8601 order
    ("2024-01-02 03:04:05"); binary values are not scanned."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return None
    if isinstance(value, dt.datetime):  # as the server writes it, and as the PostgreSQL connector does
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):  # TIME columns: [-]HH:MM:SS[.ffffff], hours may exceed 24
        sign, delta = ("-", -value) if value < dt.timedelta(0) else ("", value)
        minutes, seconds = divmod(delta.seconds, 60)
        hours = delta.days * 24 + minutes // 60
        fraction = f".{delta.microseconds:06d}" if delta.microseconds else ""
        return f"{sign}{hours:02d}:{minutes % 60:02d}:{seconds:02d}{fraction}"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return ",".join(sorted(value))
    return str(value)


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


@dataclass(frozen=True)
class _Column:
    name: str
    data_type: str
    nullable: bool


@dataclass(frozen=True)
class _Table:
    schema: str
    name: str
    columns: tuple[_Column, ...]
    key: tuple[str, ...]  # locator key columns in index order; () when there is none
    key_kind: str | None  # "primary_key" or "unique_key"
    foreign_keys: tuple[ForeignKey, ...] = ()
    json_columns: frozenset[str] = frozenset()  # scanned field by field (column + JSON path)

    @property
    def qualified(self) -> str:
        return f"{_ident(self.schema)}.{_ident(self.name)}"

    @property
    def scanned(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.data_type not in SKIPPED_TYPES)

    @property
    def integer_key(self) -> bool:
        """A single integer key column: splittable into ranges."""
        types = {c.name: c.data_type for c in self.columns}
        return len(self.key) == 1 and types.get(self.key[0]) in _INTEGER_TYPES

    @property
    def native(self) -> tuple[str, ...]:
        """Columns read with their native values: the key, then foreign-key columns."""
        return tuple(dict.fromkeys([*self.key, *(c for fk in self.foreign_keys for c in fk.columns)]))

    def select_list(self) -> str:
        return ", ".join(_ident(c) for c in (*self.native, *self.scanned))


def _locator_key(
    columns: Sequence[_Column], indexes: Sequence[tuple[str, int, int, str | None]]
) -> tuple[tuple[str, ...], str | None]:
    """The primary key, else the narrowest unique index on NOT NULL columns (ties by name); ``((), None)``.

    ``indexes`` are (index name, non_unique, seq_in_index, column name) rows.
    """
    by_name = {c.name.lower(): c for c in columns}
    candidates: list[tuple[int, str, tuple[str, ...]]] = []
    for index, rows in itertools.groupby(sorted(indexes, key=lambda r: (r[0], r[2])), key=lambda r: r[0]):
        members = list(rows)
        cols = [by_name.get((r[3] or "").lower()) for r in members]
        if any(c is None for c in cols) or any(r[1] for r in members):
            continue  # an expression, a column we cannot see, or not unique
        names = tuple(c.name for c in cols if c is not None)
        if index == "PRIMARY":
            return names, "primary_key"
        if not any(c.nullable for c in cols if c is not None):
            candidates.append((len(names), index, names))
    if candidates:
        return min(candidates)[2], "unique_key"
    return (), None


class MySQLConnector(Connector):
    """Tables of a MySQL or MariaDB server.

    Options: ``include``/``exclude`` (glob patterns on "db.table"),
    ``include_views`` (default False), ``password_env`` (name of the variable
    holding the password), ``statement_timeout_s`` (300; None or 0 = none),
    ``lock_timeout_s`` (5), ``batch_rows`` (10_000).
    """

    schemes = ("mysql", "mariadb")

    def __init__(
        self,
        url: str,
        *,
        include: str | Sequence[str] | None = None,
        exclude: str | Sequence[str] | None = None,
        include_views: bool = False,
        password_env: str | None = None,
        statement_timeout_s: float | None = 300,
        lock_timeout_s: float = 5,
        batch_rows: int = 10_000,
    ) -> None:
        address = parse_url(url)
        if address.password is not None and password_env:
            raise ValueError(f"{address.source}: give the password in the URL or in password_env, not both")
        if batch_rows < 1:
            raise ValueError(f"batch_rows must be positive: {batch_rows}")
        # url and options carry no password; the URL's one is kept apart so a copy can connect
        super().__init__(
            address.source,
            include=include,
            exclude=exclude,
            include_views=include_views,
            password_env=password_env,
            statement_timeout_s=statement_timeout_s,
            lock_timeout_s=lock_timeout_s,
            batch_rows=batch_rows,
        )
        self._address = Address(address.scheme, address.user, None, address.host, address.port, address.database)
        self._url_password = address.password
        self.include = _patterns(include)
        self.exclude = _patterns(exclude)
        self.include_views = include_views
        self.password_env = password_env
        self.statement_timeout_s = statement_timeout_s
        self.lock_timeout_s = lock_timeout_s
        self.batch_rows = batch_rows
        self._names: dict[str, tuple[str, str]] = {}  # item id -> (database, table), filled by enumerate
        self._conn: pymysql.connections.Connection | None = None
        self._conn_pid: int | None = None  # the process that opened _conn

    @property
    def source(self) -> str:
        return self._address.source

    def item_identity(self, item_id: str) -> str:
        """Server and "database.table" (the item id), whoever connects and whichever database the URL
        names: ``mysql://host/db`` and ``mysql://host`` reach ``db``'s tables under the same identity."""
        host = self._address.host.lower()
        return f"mysql://{host}:{self._address.port}\x1f{item_id}"

    @property
    def database(self) -> str | None:
        return self._address.database

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.source!r})"

    # -- connection -------------------------------------------------------------

    def _password(self) -> str:
        if self._url_password is not None:
            return self._url_password
        if self.password_env:
            if self.password_env not in os.environ:
                raise SourceError(f"{self.source}: environment variable {self.password_env} is not set")
            return os.environ[self.password_env]
        return os.environ.get("MYSQL_PWD", "")

    def _reason(self, exc: BaseException) -> str:
        """One line naming the error, with the server's message only when it cannot quote data."""
        if isinstance(exc, UnicodeDecodeError):
            return "a text value is not valid in its declared character set"
        if isinstance(exc, pymysql.MySQLError) and exc.args and isinstance(exc.args[0], int):
            code = exc.args[0]
            message = _one_line(str(exc.args[1])) if len(exc.args) > 1 else ""
            if (code in _SAFE_MESSAGE_CODES or code >= 2000) and message:
                text = f"MySQL error {code}: {message}"
            else:
                text = f"MySQL error {code} ({type(exc).__name__})"
        elif isinstance(exc, OSError):
            text = f"{type(exc).__name__}: {_one_line(exc.strerror or str(exc)) or 'I/O error'}"
        else:
            text = f"{type(exc).__name__}: {_one_line(str(exc))}".rstrip(": ")
        try:
            password = self._password()
        except SourceError:
            password = ""
        return text.replace(password, "***") if password else text

    def _connect(self) -> pymysql.connections.Connection:
        timeout = self.statement_timeout_s or 0
        io_timeout = timeout + 60 if timeout else None  # the server's own timeout fires first
        address = self._address
        try:
            conn = pymysql.connect(
                host=address.host,
                port=address.port,
                user=address.user,
                password=self._password(),
                database=address.database,
                charset="utf8mb4",
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_S,
                read_timeout=io_timeout,
                write_timeout=io_timeout,
            )
        except (pymysql.MySQLError, OSError) as exc:
            raise SourceError(f"{self.source}: {self._reason(exc)}") from None
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT VERSION()")
                (version,) = cursor.fetchone()
                for statement in session_setup(version, self.statement_timeout_s, self.lock_timeout_s):
                    cursor.execute(statement)
                if "mariadb" not in version.lower():
                    # MySQL 8: fresh table statistics, not a day-old cache (the variable is absent in 5.7)
                    with contextlib.suppress(pymysql.MySQLError):
                        cursor.execute("SET SESSION information_schema_stats_expiry = 0")
        except (pymysql.MySQLError, OSError) as exc:
            conn._force_close()
            raise SourceError(f"{self.source}: session set-up failed: {self._reason(exc)}") from None
        return conn

    def _connection(self) -> pymysql.connections.Connection:
        if self._conn is not None and self._conn_pid != os.getpid():
            self._conn = None  # inherited through fork: the parent's session, left untouched for the parent
        if self._conn is None:
            self._conn = self._connect()
            self._conn_pid = os.getpid()
        return self._conn

    def _check_connection(self) -> None:
        """Replace a connection that died while idle (server restart, wait_timeout) by a new, set-up one."""
        if self._conn is not None and self._conn_pid != os.getpid():
            self._conn = None
        if self._conn is not None:
            try:
                self._conn.ping(reconnect=False)
            except (pymysql.MySQLError, OSError):
                self._drop(hard=True)

    def _drop(self, hard: bool = False) -> None:
        """Forget the connection: after an error, or ``hard`` (no goodbye, nothing drained) mid-stream."""
        conn, self._conn = self._conn, None
        if conn is None or self._conn_pid != os.getpid():
            return
        try:
            if hard:
                conn._force_close()
            else:
                conn.close()
        except (pymysql.MySQLError, OSError):
            conn._force_close()

    def close(self) -> None:
        self._drop()

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._connection().cursor() as cursor:
            cursor.execute(sql, tuple(args))
            return list(cursor.fetchall())

    def _schema_filter(self) -> tuple[str, list[str]]:
        """SQL condition on TABLE_SCHEMA: the URL's database, else every non-system one."""
        if self.database:
            return "TABLE_SCHEMA = %s", [self.database]
        return f"TABLE_SCHEMA NOT IN ({', '.join(['%s'] * len(SYSTEM_SCHEMAS))})", list(SYSTEM_SCHEMAS)

    # -- enumerate ----------------------------------------------------------------

    def enumerate(self) -> Iterator[ItemRef | ItemProblem]:
        where, args = self._schema_filter()
        kinds = _BASE_TABLE_TYPES + (("VIEW",) if self.include_views else ())
        sql = (
            "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH,"
            " UPDATE_TIME, AUTO_INCREMENT, CREATE_TIME FROM information_schema.TABLES"
            f" WHERE {where} AND TABLE_TYPE IN ({', '.join(['%s'] * len(kinds))})"
        )
        self._check_connection()
        try:
            rows = sorted(self._query(sql, [*args, *kinds]), key=lambda r: (r[0], r[1]))
            views = self._view_fingerprints(rows) if any(r[2] == "VIEW" for r in rows) else {}
        except (pymysql.MySQLError, OSError) as exc:
            self._drop()
            raise SourceError(f"{self.source}: cannot list tables: {self._reason(exc)}") from None
        for schema, name, kind, engine, table_rows, data, index, updated, auto_inc, created in rows:
            item_id = f"{schema}.{name}"
            if not selected(item_id, self.include, self.exclude):
                continue
            self._names[item_id] = (schema, name)
            if kind == "VIEW":
                yield ItemRef(self.source, item_id, "table", 0, views.get((schema, name), "view"))
                continue
            if engine is None:  # MariaDB/MySQL list a table they cannot open with no engine
                reason = "table cannot be opened (missing storage engine or damaged table)"
                yield ItemProblem(item_id, "failed", reason, source=self.source)
                continue
            size = (data or 0) + (index or 0)
            fingerprint = f"{_stamp(updated)}:{auto_inc}:{_stamp(created)}"
            mtime = updated.replace(tzinfo=dt.UTC).timestamp() if isinstance(updated, dt.datetime) else None
            yield ItemRef(self.source, item_id, "table", size, fingerprint, mtime=mtime, rows=table_rows)

    def _view_fingerprints(self, tables: list[tuple[Any, ...]]) -> dict[tuple[str, str], str]:
        """Hash of each view's definition and the statistics of every base table of the scanned database(s):
        a view stores nothing, so any change to those tables may change it (a view over another
        database's tables is not followed there)."""
        stats = repr(sorted(tuple(map(str, row)) for row in tables if row[2] != "VIEW")).encode()
        where, args = self._schema_filter()
        out = {}
        for schema, name, definition in self._query(
            f"SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE {where}", args
        ):
            digest = hashlib.sha256(stats + b"\x00" + (definition or "").encode()).hexdigest()
            out[(schema, name)] = "view:" + digest[:32]
        return out

    # -- table metadata -------------------------------------------------------------

    def _split(self, item_id: str) -> tuple[str, str]:
        """(database, table) of an item id; a dot may be part of either name, so ask the server when unsure."""
        if item_id in self._names:
            return self._names[item_id]
        if self.database:
            prefix = self.database + "."
            if not item_id.startswith(prefix):
                raise Unreadable(f"not a table of database {self.database}")
            return self.database, item_id[len(prefix) :]
        splits = [(item_id[:i], item_id[i + 1 :]) for i, ch in enumerate(item_id) if ch == "."]
        if len(splits) > 1:
            found = {
                (s, n)
                for s, n in self._query(
                    "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES"
                    " WHERE CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) = %s",
                    [item_id],
                )
            }
            splits = [s for s in splits if s in found] or splits
        if not splits:
            raise Unreadable("item id is not database.table")
        return splits[0]

    def _describe(self, schema: str, name: str) -> tuple[str, str, tuple[_Column, ...], tuple[str, ...], str | None]:
        """The table's (database, name) as the server spells them, its visible columns in table order
        and its locator key (columns, kind).  No columns: no such table, or none visible to this account."""
        rows = _same_table(
            self._query(
                "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, IS_NULLABLE FROM information_schema.COLUMNS"
                " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
                [schema, name],
            ),
            schema,
            name,
        )
        if not rows:
            return schema, name, (), (), None
        schema, name = rows[0][0], rows[0][1]
        columns = tuple(_Column(r[2], (r[3] or "").lower(), r[4] == "YES") for r in rows)
        indexes = [
            (r[2], int(r[3]), int(r[4]), r[5])
            for r in _same_table(
                self._query(
                    "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME"
                    " FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
                    [schema, name],
                ),
                schema,
                name,
            )
        ]
        key, kind = _locator_key(columns, indexes)
        return schema, name, columns, key, kind

    def _table(self, item_id: str) -> _Table:
        schema, name, columns, key, kind = self._describe(*self._split(item_id))
        if not columns:
            raise Unreadable("table does not exist or no column of it is visible to this account")
        visible = {c.name for c in columns}
        extra = [fk for fk in self.extra_foreign_keys if fk.table == f"{schema}.{name}"]  # inferred ones, if followed
        # column privileges may hide a foreign key's columns
        fks = tuple(fk for fk in self._foreign_keys(schema, name) + extra if all(c in visible for c in fk.columns))
        return _Table(schema, name, columns, key, kind, fks, self._json_columns(schema, name, columns))

    def _json_columns(self, schema: str, name: str, columns: tuple[_Column, ...]) -> frozenset[str]:
        """MySQL's JSON type, and MariaDB's JSON (a LONGTEXT with a ``json_valid`` check)."""
        found = {c.name for c in columns if c.data_type == "json"}
        try:
            checks = self._query(
                "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS"
                " WHERE CONSTRAINT_SCHEMA = %s AND TABLE_NAME = %s",
                [schema, name],
            )
        except pymysql.MySQLError:  # MySQL before 8.0.16 has no CHECK_CONSTRAINTS: its JSON type says it
            return frozenset(found)
        for (clause,) in checks:
            found.update(_JSON_VALID.findall(clause or ""))
        return frozenset(found & {c.name for c in columns})

    # -- foreign keys ---------------------------------------------------------------

    def foreign_keys(self) -> list[ForeignKey]:
        """Declared foreign keys of every table of the scanned database(s), in (table, name) order."""
        self._check_connection()
        try:
            return self._foreign_keys()
        except (pymysql.MySQLError, OSError) as exc:
            self._drop()
            raise SourceError(f"{self.source}: cannot list foreign keys: {self._reason(exc)}") from None

    def inferred_foreign_keys(self) -> list[ForeignKey]:
        """Same-named ``*_id`` columns whose values all exist in another table's primary key
        (:mod:`piiscan.connectors.relationships`; one read-only anti-join per candidate, under the
        statement timeout)."""
        self._check_connection()
        try:
            tables: dict[str, _Table] = {}
            for ref in self.enumerate():
                if isinstance(ref, ItemRef):
                    schema, name, columns, key, kind = self._describe(*self._split(ref.item_id))
                    tables[ref.item_id] = _Table(schema, name, columns, key, kind)
            declared = self._foreign_keys()
        except (pymysql.MySQLError, OSError, Unreadable) as exc:
            self._drop()
            raise SourceError(f"{self.source}: cannot infer relationships: {self._reason(exc)}") from None
        columns = {t: tuple(c.name for c in table.columns) for t, table in tables.items()}
        keys = {t: table.key for t, table in tables.items() if table.key_kind == "primary_key"}

        def contained(fk: ForeignKey) -> bool | None:
            table, ref = tables[fk.table], tables[fk.ref_table]
            col, ref_col = _ident(fk.columns[0]), _ident(fk.ref_columns[0])
            sql = relationships.containment_sql(table.qualified, col, ref.qualified, ref_col)
            try:
                ((some, all_found),) = self._query(sql)
            except (pymysql.MySQLError, OSError):  # a timeout, no privilege: no suggestion
                if not (self._conn is not None and self._conn.open):
                    self._drop(hard=True)
                return None
            return bool(some and all_found)

        return relationships.infer(columns, keys, declared, contained)

    def _foreign_keys(self, schema: str | None = None, table: str | None = None) -> list[ForeignKey]:
        """Foreign keys of one table, or of all scanned tables; ``ref_kind`` says whether the
        referenced columns are the referenced table's locator key."""
        if schema is not None and table is not None:
            where, args = "TABLE_SCHEMA = %s AND TABLE_NAME = %s", [schema, table]
        else:
            where, args = self._schema_filter()
        rows = self._query(
            "SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION, COLUMN_NAME,"
            " REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME"
            f" FROM information_schema.KEY_COLUMN_USAGE WHERE {where} AND REFERENCED_TABLE_NAME IS NOT NULL",
            args,
        )
        if schema is not None and table is not None:
            rows = _same_table(rows, schema, table)
        keys: dict[tuple[str, str], tuple[str, tuple[str, ...], str | None]] = {}
        out = []
        rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
        for (fk_schema, fk_table, constraint), group in itertools.groupby(rows, key=lambda r: (r[0], r[1], r[2])):
            members = list(group)
            ref = (members[0][5], members[0][6])
            if ref not in keys:
                ref_schema, ref_name, _, ref_key, ref_kind = self._describe(*ref)
                keys[ref] = (f"{ref_schema}.{ref_name}", ref_key, ref_kind)
            ref_table, ref_key, ref_kind = keys[ref]
            columns = tuple(r[4] for r in members)
            targets = tuple(r[7] for r in members)
            spelled = {k.lower(): k for k in ref_key}
            kind = None
            if ref_key and {t.lower() for t in targets} == set(spelled) and len(targets) == len(ref_key):
                kind = ref_kind
                targets = tuple(spelled[t.lower()] for t in targets)  # the locator's spelling
            out.append(ForeignKey(constraint, f"{fk_schema}.{fk_table}", columns, ref_table, targets, kind))
        return out

    # -- plan -----------------------------------------------------------------------

    def plan(self, item: ItemRef, unit_bytes: int) -> list[WorkUnit]:
        """Integer ranges of a single integer key when the table is bigger than ``unit_bytes`` or
        has more than TABLE_UNIT_ROWS rows (MIN/MAX read off the index); the first and last range
        are open-ended."""
        parts = table_parts(item, unit_bytes)
        if parts <= 1:
            return [WorkUnit(item)]
        self._check_connection()
        try:
            table = self._table(item.item_id)
            if not table.integer_key:
                return [WorkUnit(item)]
            column = _ident(table.key[0])
            low, high = self._query(f"SELECT MIN({column}), MAX({column}) FROM {table.qualified}")[0]
        except (pymysql.MySQLError, OSError, SourceError, Unreadable):
            return [WorkUnit(item)]  # read() reports the problem
        return key_range_units(item, parts, low, high)

    # -- read -----------------------------------------------------------------------

    def read(self, unit: WorkUnit) -> Iterator[ReadResult]:
        item = unit.item
        self._check_connection()
        try:
            table = self._table(item.item_id)
            ranged = unit.start is not None or unit.stop is not None
            if ranged and not table.integer_key:
                raise Unreadable("the table's key changed since the scan was planned")
            if not table.scanned:
                yield ItemProblem(item.item_id, "skipped", "no column holds text", source=self.source, size=item.size)
            elif table.key:
                for rows in self._pages(table, unit):
                    yield self._batch(table, rows)
            else:
                yield from self._read_unkeyed(table)
        except (Unreadable, SourceError) as exc:
            yield ItemProblem(item.item_id, "failed", str(exc), source=self.source, size=item.size)
        except (pymysql.MySQLError, OSError, UnicodeDecodeError) as exc:
            reason = self._reason(exc)
            # a refused or timed-out statement leaves the connection usable; anything else may not
            usable = isinstance(exc, pymysql.ProgrammingError | pymysql.OperationalError)
            if not (usable and self._conn is not None and self._conn.open):
                self._drop(hard=True)
            yield ItemProblem(item.item_id, "failed", reason, source=self.source, size=item.size)

    def fetch(
        self, item_id: str, locators: list[dict[str, Any]], key: LocatorKey | None = None
    ) -> Iterator[FetchedRecord | ItemProblem]:
        """Rows by their primary or unique key, ``FETCH_BATCH`` at a time (``WHERE (k1, k2) IN (...)``);
        row-number locators (tables without a key) and masked key values through the default full read.
        Values are read as :meth:`read` reads them (text, JSON split by path)."""
        key = key or locator_json
        wanted = {locator_json(loc): loc for loc in locators}
        done: set[str] = set()
        self._check_connection()
        try:
            table = self._table(item_id)
            values = key_values(locators, table.key_kind, table.key) if table.key and table.key_kind else []
            if values:
                columns = ", ".join(_ident(k) for k in table.key)
                row = "(" + ", ".join(["%s"] * len(table.key)) + ")"
                for start in range(0, len(values), FETCH_BATCH):
                    part = values[start : start + FETCH_BATCH]
                    sql = (
                        f"SELECT {table.select_list()} FROM {table.qualified}"
                        f" WHERE ({columns}) IN ({', '.join([row] * len(part))})"
                    )
                    rows = self._query(sql, [v for value in part for v in value])
                    if rows:
                        for record in matching_records(self._batch(table, rows), item_id, wanted, key):
                            done.add(locator_json(record.locator))
                            yield record
                done |= {locator_json({table.key_kind: dict(zip(table.key, v, strict=True))}) for v in values}
        except (Unreadable, SourceError) as exc:
            yield ItemProblem(item_id, "failed", str(exc), source=self.source)
            return
        except (pymysql.MySQLError, OSError, UnicodeDecodeError) as exc:
            self._drop(hard=True)
            yield ItemProblem(item_id, "failed", self._reason(exc), source=self.source)
            return
        rest = [loc for text, loc in wanted.items() if text not in done]
        if rest:
            yield from super().fetch(item_id, rest, key)

    def _pages(self, table: _Table, unit: WorkUnit) -> Iterator[list[tuple[Any, ...]]]:
        """Pages of rows in key order within the unit's range (keyset pagination, one statement each)."""
        order = [_ident(k) for k in table.key]
        bounds, params = [], []
        if unit.start is not None:
            bounds.append(f"{order[0]} >= %s")
            params.append(unit.start)
        if unit.stop is not None:
            bounds.append(f"{order[0]} < %s")
            params.append(unit.stop)
        # k1 > a OR (k1 = a AND k2 > b) OR ...: an index range on both servers, unlike (k1, k2) > (a, b)
        after = " OR ".join(
            "(" + " AND ".join([*(f"{c} = %s" for c in order[:i]), f"{order[i]} > %s"]) + ")" for i in range(len(order))
        )
        select = f"SELECT {table.select_list()} FROM {table.qualified}"
        last: tuple[Any, ...] = ()
        while True:
            where = [*bounds, f"({after})"] if last else bounds
            after_params = [v for i in range(len(last)) for v in (*last[:i], last[i])] if last else []
            sql = f"{select}{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY {', '.join(order)} LIMIT %s"
            rows = self._query(sql, [*params, *after_params, self.batch_rows])
            if rows:
                yield rows
            if len(rows) < self.batch_rows:
                return
            last = rows[-1][: len(order)]

    def _batch(self, table: _Table, rows: Sequence[tuple[Any, ...]], first_row: int | None = None) -> TableBatch:
        columns = list(zip(*rows, strict=True))
        count = len(table.native)
        native = {name: list(values) for name, values in zip(table.native, columns[:count], strict=True)}
        arrays = [pa.array([_text(v) for v in values], type=pa.string()) for values in columns[count:]]
        batch = pa.RecordBatch.from_arrays(arrays, names=list(table.scanned))
        batch = expand_json_columns(batch, [c for c in table.scanned if c in table.json_columns])
        references = {
            "foreign_keys": table.foreign_keys,
            "fk_values": tuple([native[c] for c in fk.columns] for fk in table.foreign_keys),
        }
        if table.key and table.key_kind:
            keys = [native[k] for k in table.key]  # native values (ints stay ints) for locators
            return TableBatch(batch, key_columns=table.key, key_kind=table.key_kind, _key_values=keys, **references)
        return TableBatch(batch, first_row=first_row, key_note=NO_KEY_NOTE, **references)

    def _read_unkeyed(self, table: _Table) -> Iterator[TableBatch]:
        """One unbuffered SELECT in one read-only transaction, rows numbered in read order.

        The connection cannot run anything else until the result is read to the
        end, so a stream that stops early (error, or the caller stops) drops it.
        The statement timeout covers the whole stream, including the time the
        caller spends between batches: a very large table without a key may need
        a longer ``statement_timeout_s``.
        """
        cursor = self._connection().cursor(pymysql.cursors.SSCursor)
        finished = False
        try:
            cursor.execute("START TRANSACTION READ ONLY")
            cursor.execute(f"SELECT {table.select_list()} FROM {table.qualified}", ())
            row = 1
            while rows := cursor.fetchmany(self.batch_rows):
                yield self._batch(table, rows, first_row=row)
                row += len(rows)
            cursor.execute("COMMIT")
            cursor.close()
            finished = True
        finally:
            if not finished:
                _abandon(cursor)
                self._drop(hard=True)


def _abandon(cursor: pymysql.cursors.SSCursor) -> None:
    """Detach an unbuffered cursor from its unread result, so neither it nor the result reads the rest of
    the table when closed or collected (PyMySQL drains it); the connection is dropped next."""
    if cursor._result is not None:
        cursor._result.unbuffered_active = False
    cursor.connection = None


def _same_table(rows: list[tuple[Any, ...]], schema: str, name: str) -> list[tuple[Any, ...]]:
    """Rows (database, table, ...) of exactly this table: information_schema matches names regardless of
    case.  If none match exactly, the rows of the one table matching regardless of case (a server with
    lower_case_table_names=2 may report a referenced table in lower case)."""
    exact = [r for r in rows if (r[0], r[1]) == (schema, name)]
    if exact or len({(r[0], r[1]) for r in rows}) != 1:
        return exact
    return rows


def _stamp(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)
