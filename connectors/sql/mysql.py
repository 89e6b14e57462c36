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
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pyarrow as pa
import pymysql
import pymysql.cursors

from piiscan.connectors.base import ConnectorOptions, ForeignKey, ItemProblem, ItemRef, SourceError
from piiscan.connectors.erasers import REDACTION
from piiscan.connectors.globs import selected
from piiscan.connectors.sql.connector import SQLConnector
from piiscan.connectors.sql.dialect import Dialect, first_line
from piiscan.connectors.sql.eraser import SQLEraser
from piiscan.connectors.sql.schema import Column, ServerOptions, TableSchema, Unreadable

DEFAULT_PORT = 3306
SCHEMES = ("mysql", "mariadb")
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
    if scheme not in SCHEMES:
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


def _locator_key(
    columns: Sequence[tuple[str, str, bool]], indexes: Sequence[tuple[str, int, int, str | None]]
) -> tuple[tuple[str, ...], str | None]:
    """The primary key, else the narrowest unique index on NOT NULL columns (ties by name); ``((), None)``.

    ``indexes`` are (index name, non_unique, seq_in_index, column name) rows.
    """
    by_name = {c[0].lower(): c for c in columns}
    candidates: list[tuple[int, str, tuple[str, ...]]] = []
    for index, rows in itertools.groupby(sorted(indexes, key=lambda r: (r[0], r[2])), key=lambda r: r[0]):
        members = list(rows)
        cols = [by_name.get((r[3] or "").lower()) for r in members]
        if any(c is None for c in cols) or any(r[1] for r in members):
            continue  # an expression, a column we cannot see, or not unique
        names = tuple(c[0] for c in cols if c is not None)
        if index == "PRIMARY":
            return names, "primary_key"
        if not any(c[2] for c in cols if c is not None):
            candidates.append((len(names), index, names))
    if candidates:
        return min(candidates)[2], "unique_key"
    return (), None


_TEXT_TYPES = frozenset({"char", "varchar", "tinytext", "text", "mediumtext", "longtext"})
_BINARY_TYPES = frozenset({"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"})
#: Storage engines that roll back: a savepoint undoes an action, a transaction is atomic.
_TRANSACTIONAL = frozenset({"INNODB", "ROCKSDB", "TOKUDB", "NDBCLUSTER", "NDB"})
#: Write errors whose server message names only objects (columns, constraints, tables), never row values:
#: column cannot be null, data too long, FK parent/child, check constraint (MySQL, MariaDB), deadlock.
_SAFE_WRITE_CODES = frozenset({1048, 1406, 1451, 1452, 3819, 4025, 1213})
#: Client errors that mean the session is gone.
_LOST = frozenset({2006, 2013, 2055})


def _code(exc: BaseException) -> int | None:
    return exc.args[0] if exc.args and isinstance(exc.args[0], int) else None


@dataclass(frozen=True)
class MySQLOptions(ServerOptions):
    """Table names are "database.table"; the password is read from ``password_env``, else ``MYSQL_PWD``."""

    statement_timeout_s: float | None = field(
        default=300, metadata={"doc": "seconds one statement may run (None or 0: no limit)"}
    )


class MySQLDialect(Dialect[MySQLOptions]):
    name = "MySQL"
    skip_textless = True

    @classmethod
    def split_url(cls, url: str) -> tuple[str, str | None]:
        """The URL without its password (which round-trips through :func:`parse_url`), and the password."""
        address = parse_url(url)
        return address.source, address.password

    def __init__(self, url: str, options: MySQLOptions, url_password: str | None = None) -> None:
        super().__init__(url, options, url_password)
        self.address = parse_url(url)
        self._names: dict[str, tuple[str, str]] = {}  # item id -> (database, table), filled by items()

    @property
    def source(self) -> str:
        return self.address.source

    @property
    def database(self) -> str | None:
        return self.address.database

    @property
    def errors(self) -> tuple[type[BaseException], ...]:
        return (pymysql.MySQLError, OSError, UnicodeDecodeError)

    # -- session ---------------------------------------------------------------------------------

    def password(self) -> str:
        if self.url_password is not None:
            return self.url_password
        password_env = self.options.password_env
        if password_env:
            if password_env not in os.environ:
                raise SourceError(f"{self.source}: environment variable {password_env} is not set")
            return os.environ[password_env]
        return os.environ.get("MYSQL_PWD", "")

    def _scrub(self, text: str) -> str:
        try:
            password = self.password()
        except SourceError:
            password = ""
        return text.replace(password, "***") if password else text

    def reason(self, exc: BaseException) -> str:
        """One line naming the error, with the server's message only when it cannot quote data."""
        if isinstance(exc, SourceError):
            return str(exc)
        if isinstance(exc, UnicodeDecodeError):
            return "a text value is not valid in its declared character set"
        code = _code(exc)
        if isinstance(exc, pymysql.MySQLError) and code is not None:
            message = first_line(str(exc.args[1])) if len(exc.args) > 1 else ""
            if (code in _SAFE_MESSAGE_CODES or code >= 2000) and message:
                text = f"MySQL error {code}: {message}"
            else:
                text = f"MySQL error {code} ({type(exc).__name__})"
        elif isinstance(exc, OSError):
            text = f"{type(exc).__name__}: {first_line(exc.strerror or str(exc)) or 'I/O error'}"
        else:
            text = f"{type(exc).__name__}: {first_line(str(exc))}".rstrip(": ")
        return self._scrub(text)

    def write_reason(self, exc: BaseException) -> str:
        code = _code(exc)
        if code in _SAFE_WRITE_CODES and len(exc.args) > 1:
            return self._scrub(f"MySQL error {code}: {first_line(str(exc.args[1]))}")
        return self.reason(exc)

    def connect(self, write: bool = False) -> pymysql.connections.Connection[Any]:
        """A session in autocommit, made read-only (or, for an erasure, read-write with the row-lock
        timeout) and bounded before its first query.  Never re-established behind our back: PyMySQL's
        ``ping(reconnect=True)`` would skip that set-up."""
        settings = self.options
        timeout = settings.statement_timeout_s or 0
        io_timeout = timeout + 60 if timeout else None  # the server's own timeout fires first
        address = self.address
        try:
            conn = pymysql.connect(
                host=address.host,
                port=address.port,
                user=address.user,
                password=self.password(),
                database=address.database,
                charset="utf8mb4",
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_S,
                read_timeout=io_timeout,
                write_timeout=io_timeout,
            )
        except (pymysql.MySQLError, OSError) as exc:
            raise SourceError(f"{self.source}: {self.reason(exc)}") from None
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT VERSION()")
                (version,) = cursor.fetchone() or ("",)
                for statement in session_setup(version, settings.statement_timeout_s, settings.lock_timeout_s):
                    cursor.execute(statement)
                if "mariadb" not in version.lower():
                    # MySQL 8: fresh table statistics, not a day-old cache (the variable is absent in 5.7)
                    with contextlib.suppress(pymysql.MySQLError):
                        cursor.execute("SET SESSION information_schema_stats_expiry = 0")
                if write:
                    cursor.execute("SET SESSION TRANSACTION READ WRITE")
                    cursor.execute(f"SET SESSION innodb_lock_wait_timeout = {max(1, round(settings.lock_timeout_s))}")
        except (pymysql.MySQLError, OSError) as exc:
            _force_close(conn)
            raise SourceError(f"{self.source}: session set-up failed: {self.reason(exc)}") from None
        return conn

    def is_open(self, conn: Any) -> bool:
        return bool(conn.open)

    def alive(self, conn: Any) -> bool:
        """A session that died while idle (server restart, wait_timeout) does not answer a ping."""
        try:
            conn.ping(reconnect=False)
        except (pymysql.MySQLError, OSError):
            return False
        return True

    def close(self, conn: Any, hard: bool = False) -> None:
        try:
            if hard:
                _force_close(conn)
            else:
                conn.close()
        except (pymysql.MySQLError, OSError):
            _force_close(conn)

    def broken(self, conn: Any, exc: BaseException) -> bool:
        """A refused or timed-out statement leaves the session usable; anything else may not."""
        usable = isinstance(exc, pymysql.ProgrammingError | pymysql.OperationalError) and _code(exc) not in _LOST
        return not (usable and conn.open)

    def fatal(self, conn: Any, exc: BaseException) -> bool:
        return isinstance(exc, OSError) or _code(exc) in _LOST or not conn.open

    def query(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with conn.cursor() as cursor:
            cursor.execute(sql, tuple(params))
            return list(cursor.fetchall())

    def execute(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> int:
        with conn.cursor() as cursor:
            return int(cursor.execute(sql, tuple(params)))

    def stream(self, conn: Any, sql: str, batch_rows: int) -> Iterator[list[tuple[Any, ...]]]:
        """One unbuffered SELECT in one read-only transaction.

        The session cannot run anything else until the result is read to the end, so a stream that stops
        early (an error, or the caller stops) closes it.  The statement timeout covers the whole stream,
        including the time the caller spends between batches: a very large table without a key may need
        a longer ``statement_timeout_s``.
        """
        cursor = conn.cursor(pymysql.cursors.SSCursor)
        finished = False
        try:
            cursor.execute("START TRANSACTION READ ONLY")
            cursor.execute(sql, ())
            while rows := cursor.fetchmany(batch_rows):
                yield list(rows)
            cursor.execute("COMMIT")
            cursor.close()
            finished = True
        finally:
            if not finished:
                _abandon(cursor)
                _force_close(conn)

    # -- catalog ---------------------------------------------------------------------------------

    def _schema_filter(self) -> tuple[str, list[str]]:
        """SQL condition on TABLE_SCHEMA: the URL's database, else every non-system one."""
        if self.database:
            return "TABLE_SCHEMA = %s", [self.database]
        return f"TABLE_SCHEMA NOT IN ({', '.join(['%s'] * len(SYSTEM_SCHEMAS))})", list(SYSTEM_SCHEMAS)

    def items(self, conn: Any) -> Iterator[ItemRef | ItemProblem]:
        settings = self.options
        where, args = self._schema_filter()
        kinds = _BASE_TABLE_TYPES + (("VIEW",) if settings.include_views else ())
        sql = (
            "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH,"
            " UPDATE_TIME, AUTO_INCREMENT, CREATE_TIME FROM information_schema.TABLES"
            f" WHERE {where} AND TABLE_TYPE IN ({', '.join(['%s'] * len(kinds))})"
        )
        try:
            rows = sorted(self.query(conn, sql, [*args, *kinds]), key=lambda r: (r[0], r[1]))
            views = self._view_fingerprints(conn, rows) if any(r[2] == "VIEW" for r in rows) else {}
        except (pymysql.MySQLError, OSError) as exc:
            with contextlib.suppress(pymysql.MySQLError, OSError):
                conn.close()  # the connector replaces a closed session on its next use
            raise SourceError(f"{self.source}: cannot list tables: {self.reason(exc)}") from None
        for schema, name, kind, engine, table_rows, data, index, updated, auto_inc, created in rows:
            item_id = f"{schema}.{name}"
            if not selected(item_id, settings.include, settings.exclude):
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

    def _view_fingerprints(self, conn: Any, tables: list[tuple[Any, ...]]) -> dict[tuple[str, str], str]:
        """Hash of each view's definition and the statistics of every base table of the scanned database(s):
        a view stores nothing, so any change to those tables may change it (a view over another
        database's tables is not followed there)."""
        stats = repr(sorted(tuple(map(str, row)) for row in tables if row[2] != "VIEW")).encode()
        where, args = self._schema_filter()
        out = {}
        for schema, name, definition in self.query(
            conn, f"SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE {where}", args
        ):
            digest = hashlib.sha256(stats + b"\x00" + (definition or "").encode()).hexdigest()
            out[(schema, name)] = "view:" + digest[:32]
        return out

    def _split(self, conn: Any, item_id: str) -> tuple[str, str]:
        """(database, table) of an item id; a dot may be part of either name, so ask the server when unsure."""
        if item_id in self._names:
            return self._names[item_id]
        if self.database:
            prefix = self.database + "."
            if not item_id.startswith(prefix):
                raise Unreadable(f"{item_id}: not a table of database {self.database}")
            return self.database, item_id[len(prefix) :]
        splits = [(item_id[:i], item_id[i + 1 :]) for i, ch in enumerate(item_id) if ch == "."]
        if len(splits) > 1:
            found = {
                (s, n)
                for s, n in self.query(
                    conn,
                    "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES"
                    " WHERE CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) = %s",
                    [item_id],
                )
            }
            splits = [s for s in splits if s in found] or splits
        if not splits:
            raise Unreadable(f"{item_id}: item id is not database.table")
        return splits[0]

    def describe(self, conn: Any, item_id: str, *, views: bool = True) -> TableSchema:
        """The table's visible columns in table order, its locator key, foreign keys and JSON columns; the
        database and table spelled as the server spells them."""
        schema, name = self._split(conn, item_id)
        rows = _same_table(
            self.query(
                conn,
                "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE, c.IS_NULLABLE,"
                " c.CHARACTER_MAXIMUM_LENGTH, c.COLUMN_KEY, t.ENGINE, t.TABLE_TYPE"
                " FROM information_schema.COLUMNS c JOIN information_schema.TABLES t"
                " ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME"
                " WHERE c.TABLE_SCHEMA = %s AND c.TABLE_NAME = %s ORDER BY c.ORDINAL_POSITION",
                [schema, name],
            ),
            schema,
            name,
        )
        if not rows:
            raise Unreadable(f"table {item_id} does not exist or is not visible to this account")
        schema, name, engine, kind = rows[0][0], rows[0][1], rows[0][7], rows[0][8]
        indexes = [
            (r[2], int(r[3]), int(r[4]), r[5])
            for r in _same_table(
                self.query(
                    conn,
                    "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME"
                    " FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
                    [schema, name],
                ),
                schema,
                name,
            )
        ]
        types = [(r[2], (r[3] or "").lower(), r[4] == "YES") for r in rows]
        key, key_kind = _locator_key(types, indexes)
        json_columns = self._json_columns(conn, schema, name, types)
        columns = tuple(
            Column(
                column,
                data_type,
                data_type,
                scanned=data_type not in SKIPPED_TYPES,
                not_null=not nullable,
                text=data_type in _TEXT_TYPES and (r[5] is None or r[5] >= len(REDACTION)),
                # the primary key (or the unique key the server shows in its place), and the locator key
                primary=r[6] == "PRI" or column in key,
                json=column in json_columns,
            )
            for (column, data_type, nullable), r in zip(types, rows, strict=True)
        )
        return TableSchema(
            f"{schema}.{name}",  # as the server spells them
            f"{self.quote(schema)}.{self.quote(name)}",
            columns,
            key=key,
            key_kind=key_kind or "primary_key",
            is_view=kind == "VIEW",
            engine=engine or "",
            integer_key=len(key) == 1 and dict((c, t) for c, t, _ in types).get(key[0]) in _INTEGER_TYPES,
        )

    def _json_columns(self, conn: Any, schema: str, name: str, types: list[tuple[str, str, bool]]) -> set[str]:
        """MySQL's JSON type, and MariaDB's JSON (a LONGTEXT with a ``json_valid`` check)."""
        found = {column for column, data_type, _ in types if data_type == "json"}
        try:
            checks = self.query(
                conn,
                "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS"
                " WHERE CONSTRAINT_SCHEMA = %s AND TABLE_NAME = %s",
                [schema, name],
            )
        except pymysql.MySQLError:  # MySQL before 8.0.16 has no CHECK_CONSTRAINTS: its JSON type says it
            return found
        for (clause,) in checks:
            found.update(_JSON_VALID.findall(clause or ""))
        return found & {column for column, _, _ in types}

    def foreign_keys(self, conn: Any, table: TableSchema | None = None) -> list[ForeignKey]:
        """Foreign keys of one table, or of every scanned table in (table, name) order; ``ref_kind`` says
        whether the referenced columns are the referenced table's locator key."""
        if table is not None:
            schema, name = self._split(conn, table.item_id)
            where, args = "TABLE_SCHEMA = %s AND TABLE_NAME = %s", [schema, name]
        else:
            where, args = self._schema_filter()
        rows = self.query(
            conn,
            "SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION, COLUMN_NAME,"
            " REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME"
            f" FROM information_schema.KEY_COLUMN_USAGE WHERE {where} AND REFERENCED_TABLE_NAME IS NOT NULL",
            args,
        )
        if table is not None:
            rows = _same_table(rows, *args)
        keys: dict[tuple[str, str], tuple[str, tuple[str, ...], str | None]] = {}
        out = []
        rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
        for (fk_schema, fk_table, constraint), group in itertools.groupby(rows, key=lambda r: (r[0], r[1], r[2])):
            members = list(group)
            ref = (members[0][5], members[0][6])
            if ref not in keys:
                try:
                    described = self.describe(conn, f"{ref[0]}.{ref[1]}")
                    keys[ref] = (described.item_id, described.key, described.key_kind if described.key else None)
                except Unreadable:
                    keys[ref] = (f"{ref[0]}.{ref[1]}", (), None)
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

    # -- SQL -------------------------------------------------------------------------------------

    def quote(self, name: str) -> str:
        """A quoted identifier, safe inside a query that PyMySQL %-formats (always pass args)."""
        return "`" + name.replace("`", "``").replace("%", "%%") + "`"

    def after(self, order: Sequence[str], params: Sequence[str], last: Sequence[Any]) -> tuple[str, list[Any]]:
        """``k1 > a OR (k1 = a AND k2 > b) OR ...``: an index range on both servers; MariaDB does not turn
        ``(k1, k2) > (a, b)`` into one and would rescan the table from the start for every page."""
        condition = " OR ".join(
            "(" + " AND ".join([*(f"{c} = %s" for c in order[:i]), f"{order[i]} > %s"]) + ")" for i in range(len(order))
        )
        return condition, [v for i in range(len(last)) for v in (*last[:i], last[i])]

    def text_array(self, conn: Any, values: Sequence[Any]) -> pa.Array:
        return pa.array([_text(v) for v in values], type=pa.string())

    def keyless_note(self, table: TableSchema) -> str:
        return NO_KEY_NOTE

    # -- erasure ---------------------------------------------------------------------------------

    def erasable(self, table: TableSchema) -> str | None:
        if table.is_view:
            return f"{table.item_id} is a view; erase in its tables"
        if table.engine.upper() not in _TRANSACTIONAL:
            return f"{table.item_id} uses the {table.engine} storage engine, which cannot roll back; erase by hand"
        return None

    def match(self, column: Column, value: Any) -> tuple[str, list[Any]]:
        name = self.quote(column.name)
        if value is None:
            return f"{name} IS NULL", []
        if column.type in _BINARY_TYPES and isinstance(value, str):
            return f"{name} = UNHEX(%s)", [value]
        return f"{name} = %s", [value]

    def begin(self, conn: Any, write: bool) -> None:
        self.execute(conn, "START TRANSACTION READ WRITE" if write else "START TRANSACTION READ ONLY")


class MySQLConnector(SQLConnector):
    """Tables of a MySQL or MariaDB server: of the URL's database, else of every non-system database the
    account can see."""

    schemes = ("mysql", "mariadb")
    options_class = MySQLOptions
    dialect_class = MySQLDialect

    def __init__(self, url: str, options: ConnectorOptions | None = None, **values: Any) -> None:
        super().__init__(url, options, **values)
        if self._url_password is not None and getattr(self.options, "password_env", None):
            raise ValueError(f"{self.url}: give the password in the URL or in password_env, not both")

    @property
    def database(self) -> str | None:
        return parse_url(self.url).database

    def item_identity(self, item_id: str) -> str:
        """Server and "database.table" (the item id), whoever connects and whichever database the URL
        names: ``mysql://host/db`` and ``mysql://host`` reach ``db``'s tables under the same identity."""
        address = parse_url(self.url)
        return f"mysql://{address.host.lower()}:{address.port}\x1f{item_id}"


class MySQLEraser(SQLEraser):
    """Rows of a MySQL or MariaDB server (InnoDB and other transactional tables only): ``password_env``,
    ``statement_timeout_s`` and ``lock_timeout_s`` apply; scan-wide options are ignored."""

    dialect_class = MySQLDialect
    options_class = MySQLOptions


def _abandon(cursor: Any) -> None:
    """Detach an unbuffered cursor from its unread result, so neither it nor the result reads the rest of
    the table when closed or collected (PyMySQL drains it); the connection is dropped next.  (PyMySQL's
    private ``_result``, which its stubs do not declare.)"""
    if cursor._result is not None:
        cursor._result.unbuffered_active = False
    cursor.connection = None


def _force_close(conn: Any) -> None:
    """Close a session without a goodbye (PyMySQL's ``_force_close``, which its stubs do not declare)."""
    conn._force_close()


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
