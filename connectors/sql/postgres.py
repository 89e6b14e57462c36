"""PostgreSQL databases, read-only: one item per table ("schema.table"), rows as string batches.

Connecting: lazily, from the URL (libpq's PG* environment variables and
``~/.pgpass`` apply as usual), or with ``password_env``, the name of an
environment variable holding the password; it is read at connect time, so the
password is not pickled with the connector unless the URL itself carries it.
The password never appears in :attr:`source` or in any message.

Every session is read-only (``default_transaction_read_only``), has statement,
lock and idle-in-transaction timeouts, ``application_name`` "piiscan",
``search_path`` pg_catalog (no user object can shadow a function the queries
call), and ISO dates in UTC, so values read the same whatever the server's
defaults.  The connection runs in autocommit: every keyset page is its own
short read-only transaction, so no snapshot is held while the scanner works on
a batch and a long scan never holds back VACUUM.  Only tables without a usable
key (and views) are read through a server-side cursor inside one read-only
transaction per unit; ``idle_timeout_s`` bounds how long the scanner may take
over one of their batches.

Locators: the primary key; else the smallest unique index on NOT NULL
columns (``unique_key``); else the row's ``ctid`` (from a hidden column, with a
note: VACUUM FULL and updates move rows); views are numbered in query order.
Rows are read with keyset pagination on the key (``WHERE (k1, k2) > (...)
ORDER BY k1, k2 LIMIT n``) and tables with a single integer key larger than a
unit are split into key ranges.

Values: every column but binary ones (bytea, PostGIS geometries) is read as
its text form (``col::text``): arrays as ``{a,b}``, numbers as digits (a phone
number stored as bigint is still found), dates as ISO text; json/jsonb
columns are then split into one field per JSON path (``profile.contact.email``).
Key and foreign-key columns are also read natively for locators and references.

Fingerprints come from statistics, without reading the table:
``"{relfilenode}:{n_tup_ins}:{n_tup_upd}:{n_tup_del}:{columns hash}"``.  The
counters catch every insert, update and delete (in place or not), relfilenode
catches TRUNCATE, VACUUM FULL and CLUSTER (which move ctids), the hash of
column names and types catches ALTER TABLE.  reltuples is left out: ANALYZE
changes it without changing any row.  Where counters are not kept (a hot
standby replays changes without counting them; ``track_counts`` off) and for
views, the cluster's next transaction id is appended: coarse (any write
anywhere changes it) but it never misses a change.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pyarrow as pa
from psycopg.adapt import Dumper, Loader

from piiscan.connectors.base import ForeignKey, ItemProblem, ItemRef, SourceError
from piiscan.connectors.erasers import REDACTION
from piiscan.connectors.formats.common import decode_lenient
from piiscan.connectors.globs import selected
from piiscan.connectors.sql.connector import SQLConnector
from piiscan.connectors.sql.dialect import Dialect, first_line
from piiscan.connectors.sql.eraser import SQLEraser
from piiscan.connectors.sql.schema import Column, ServerOptions, TableSchema, Unreadable

CTID_NOTE = "no primary key: rows located by ctid, which VACUUM FULL and updates change"
VIEW_NOTE = "view: rows numbered in query order"
ROW_NOTE = "no readable key: rows numbered in query order"
CONNECT_TIMEOUT_S = 10
#: types whose text form is an encoding of binary data, not text a person wrote
BINARY_TYPES = frozenset({"bytea", "geometry", "geography", "raster"})
#: Scanned field by field: a finding's field is the column plus its JSON path ("profile.contact.email").
JSON_TYPES = frozenset({"json", "jsonb"})
_INTEGER_TYPES = frozenset({"int2", "int4", "int8"})
# user schemas ("pg_" is reserved for the system's); "%%" because queries using it have parameters
_USER_SCHEMAS = r"n.nspname NOT LIKE 'pg\_%%' AND n.nspname <> 'information_schema'"

_ITEMS_SQL = f"""
SELECT n.nspname || '.' || c.relname, c.oid, c.relkind, c.relfilenode, c.reltuples::bigint,
       c.relpages::bigint * current_setting('block_size')::bigint,
       s.n_live_tup, s.n_tup_ins, s.n_tup_upd, s.n_tup_del,
       has_any_column_privilege(c.oid, 'SELECT'),
       (SELECT md5(string_agg(a.attname || ':' || a.atttypid::text, ',' ORDER BY a.attnum))
          FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       (SELECT md5(string_agg(r.ev_action::text, ',')) FROM pg_rewrite r WHERE r.ev_class = c.oid)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.relkind = ANY(%s) AND {_USER_SCHEMAS}
ORDER BY n.nspname, c.relname
"""

_TABLE_SQL = f"""
SELECT c.oid, c.relkind, quote_ident(n.nspname) || '.' || quote_ident(c.relname), has_table_privilege(c.oid, 'SELECT')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname || '.' || c.relname = %s AND c.relkind = ANY(%s) AND {_USER_SCHEMAS}
ORDER BY n.nspname LIMIT 2
"""

# name, type for casts, base type name (domains resolved, arrays to their element), readable, the category of
# the domain-resolved type, its declared length, NOT NULL, in the primary key
_COLUMNS_SQL = """
SELECT a.attname, format_type(a.atttypid, NULL), coalesce(e.typname, d.typname),
       has_column_privilege(a.attrelid, a.attnum, 'SELECT'), d.typcategory::text,
       CASE WHEN d.typname IN ('varchar', 'bpchar') AND a.atttypmod > 4 THEN a.atttypmod - 4 END,
       a.attnotnull,
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary
                                          AND a.attnum = ANY(i.indkey::int2[]))
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type d ON d.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
LEFT JOIN pg_type e ON d.typcategory = 'A' AND e.oid = d.typelem
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

# unique, valid, non-partial indexes on plain columns (key columns only, not INCLUDE ones)
_KEYS_SQL = """
SELECT i.indrelid, i.indisprimary, ic.relname,
       ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE k.ord <= i.indnkeyatts ORDER BY k.ord),
       NOT EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                   WHERE k.ord <= i.indnkeyatts AND NOT a.attnotnull)
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = ANY(%s::oid[]) AND i.indisunique AND i.indisvalid
  AND i.indexprs IS NULL AND i.indpred IS NULL
"""

_FOREIGN_KEYS_SQL = """
SELECT con.conname, tn.nspname || '.' || t.relname, con.confrelid, rn.nspname || '.' || r.relname,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord),
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord)
FROM pg_constraint con
JOIN pg_class t ON t.oid = con.conrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_class r ON r.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
WHERE con.contype = 'f' AND t.relkind = ANY(%(kinds)s) AND r.relkind = ANY(%(kinds)s)
  AND tn.nspname NOT LIKE 'pg\\_%%' AND tn.nspname <> 'information_schema'
  AND rn.nspname NOT LIKE 'pg\\_%%' AND rn.nspname <> 'information_schema'
  AND (%(table)s::text IS NULL OR tn.nspname || '.' || t.relname = %(table)s::text)
ORDER BY 2, 1
"""


def redact_url(url: str) -> str:
    """``url`` with its scheme spelled postgresql and without any password (user info or
    ``?password=``); parsed as libpq does, so the user info ends at the first "@" before a "/"."""
    rest = url.split("://", 1)[1] if "://" in url else url
    userinfo_end = re.search(r"[@/]", rest)
    if userinfo_end and userinfo_end.group() == "@":
        user = rest[: userinfo_end.start()].split(":", 1)[0]
        rest = (f"{user}@" if user else "") + rest[userinfo_end.end() :]
    if "?" in rest:
        rest, query = rest.split("?", 1)
        kept = [p for p in query.split("&") if p and p.split("=", 1)[0] != "password"]
        rest += "?" + "&".join(kept) if kept else ""
    return "postgresql://" + rest


class _RawTextLoader(Loader):
    """Text of a SQL_ASCII database, whose bytes no one checked: decoded reversibly, so a key
    value read can be sent back as a keyset parameter byte for byte (see :func:`_lenient`)."""

    def load(self, data: Any) -> str:
        return bytes(data).decode("utf-8", "surrogateescape")


class _RawTextDumper(Dumper):
    """Strings to a SQL_ASCII database: the bytes :class:`_RawTextLoader` read."""

    def dump(self, obj: str) -> bytes:
        return obj.encode("utf-8", "surrogateescape")


def _lenient(values: Sequence[Any]) -> list[Any]:
    """Values read from a SQL_ASCII database as text to scan and locate by: UTF-8, else cp1252."""
    return [
        decode_lenient(v.encode("utf-8", "surrogateescape")) if isinstance(v, str) and not v.isascii() else v
        for v in values
    ]


@dataclass(frozen=True)
class PostgresOptions(ServerOptions):
    """Table names are "schema.table"; views include materialized views."""

    statement_timeout_s: float = field(default=300, metadata={"doc": "seconds one statement may run"})
    idle_timeout_s: float = field(
        default=600, metadata={"doc": "seconds a read transaction may stay idle (a keyless table's batch)"}
    )


class PostgresDialect(Dialect[PostgresOptions]):
    name = "PostgreSQL"

    @classmethod
    def split_url(cls, url: str) -> tuple[str, str | None]:
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        if scheme not in PostgresConnector.schemes:
            raise ValueError(f"PostgreSQL URL must look like postgresql://user@host:port/database: {redact_url(url)}")
        return url, None  # libpq reads the password where the URL has it, and never shows it (see source)

    @property
    def source(self) -> str:
        return redact_url(self.url)

    @property
    def errors(self) -> tuple[type[BaseException], ...]:
        return (psycopg.Error,)

    @property
    def _kinds(self) -> list[str]:
        """Relation kinds listed: tables (partitions are tables; their partitioned parents
        hold no rows of their own), plus views and materialized views on request."""
        return ["r", "v", "m"] if self.options.include_views else ["r"]

    # -- session ---------------------------------------------------------------------------------

    def _secrets(self) -> list[str]:
        """Every spelling of the password this connector may use, for scrubbing messages."""
        found = []
        rest = self.url.split("://", 1)[-1]
        match = re.match(r"[^@/]*?:([^@/]*)@", rest)
        if match:
            found.append(match.group(1))
        with contextlib.suppress(psycopg.Error):
            found.append(psycopg.conninfo.conninfo_to_dict(self.url).get("password") or "")
        password_env = self.options.password_env
        found.append(os.environ.get(password_env, "") if password_env else "")
        return sorted({s for s in found if s}, key=len, reverse=True)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets():
            text = text.replace(secret, "***")
        return text

    def _params(self) -> dict[str, Any]:
        try:
            params: dict[str, Any] = psycopg.conninfo.conninfo_to_dict(self.url)
        except psycopg.Error as exc:
            raise SourceError(f"{self.source}: invalid URL: {self._scrub(first_line(str(exc)))}") from None
        password_env = self.options.password_env
        if password_env:
            password = os.environ.get(password_env)
            if password is None:
                raise SourceError(f"{self.source}: environment variable {password_env} is not set")
            params["password"] = password
        params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
        params["application_name"] = "piiscan"
        return params

    def connect(self, write: bool = False) -> psycopg.Connection[Any]:
        """A session in autocommit, read-only by default, with timeouts, ``application_name`` "piiscan",
        ``search_path`` pg_catalog, ISO dates in UTC; for an erasure read-write, with the user's
        search_path back for triggers and constraints that rely on it."""
        settings = self.options
        try:
            conn = psycopg.connect(**self._params(), autocommit=True)
        except psycopg.Error as exc:
            raise SourceError(f"{self.source}: {self._connect_reason(exc)}") from None
        try:
            conn.execute(
                "SELECT set_config('client_encoding', CASE current_setting('server_encoding')"
                " WHEN 'SQL_ASCII' THEN 'SQL_ASCII' ELSE 'UTF8' END, false),"
                " set_config('default_transaction_read_only', 'on', false),"
                " set_config('statement_timeout', %s, false), set_config('lock_timeout', %s, false),"
                " set_config('idle_in_transaction_session_timeout', %s, false),"
                " set_config('DateStyle', 'ISO, YMD', false), set_config('IntervalStyle', 'postgres', false),"
                " set_config('TimeZone', 'UTC', false), set_config('search_path', 'pg_catalog', false)",
                [
                    str(max(1, round(settings.statement_timeout_s * 1000))),
                    str(max(1, round(settings.lock_timeout_s * 1000))),
                    str(max(1, round(settings.idle_timeout_s * 1000))),
                ],
            )
            if write:
                conn.execute("SET default_transaction_read_only = off")
                conn.execute("RESET search_path")
                conn.execute("SET application_name = 'piiscan-erase'")
        except psycopg.Error as exc:
            conn.close()
            raise SourceError(f"{self.source}: {self._connect_reason(exc)}") from None
        if _raw_text(conn):
            for name in ("text", "varchar", "bpchar", "name"):
                conn.adapters.register_loader(name, _RawTextLoader)
            conn.adapters.register_dumper(str, _RawTextDumper)
        return conn

    def is_open(self, conn: Any) -> bool:
        return not conn.closed

    def broken(self, conn: Any, exc: BaseException) -> bool:
        """After an error the server may have ended the session (idle timeout, restart)."""
        return bool(conn.closed or conn.broken)

    def _connect_reason(self, exc: BaseException) -> str:
        """libpq's message cut to its reason: ``connection refused``, ``database "x" does not exist``."""
        line = first_line(self._scrub(str(exc)))
        line = re.sub(r"^connection failed:\s*", "", line)
        line = re.sub(r"^connection to server (?:at|on) .*? failed:\s*", "", line)
        line = re.sub(r"^(?:FATAL|ERROR):\s*", "", line)
        return (line[:1].lower() + line[1:]) or type(exc).__name__

    def reason(self, exc: BaseException) -> str:
        """One line without data values: data exceptions (class 22) may quote a value, so they are named by
        SQLSTATE only; of the rest only the primary message (DETAIL lines may quote values)."""
        if isinstance(exc, SourceError):
            return str(exc)
        state = getattr(exc, "sqlstate", None)
        if state and state.startswith("22"):
            return f"PostgreSQL error: a value could not be read (SQLSTATE {state})"
        diag = getattr(exc, "diag", None)
        message = (diag.message_primary if diag is not None else None) or first_line(str(exc))
        message = self._scrub(first_line(message)) or type(exc).__name__
        return f"PostgreSQL error: {message}" + (f" (SQLSTATE {state})" if state else "")

    def stream(self, conn: Any, sql: str, batch_rows: int) -> Iterator[list[tuple[Any, ...]]]:
        """A server-side cursor in one read-only transaction (``idle_timeout_s`` bounds each batch)."""
        with conn.transaction(), conn.cursor(name=f"piiscan_{secrets.token_hex(4)}") as cursor:
            cursor.execute(sql, [])
            while rows := cursor.fetchmany(batch_rows):
                yield rows

    # -- catalog ---------------------------------------------------------------------------------

    def items(self, conn: Any) -> Iterator[ItemRef | ItemProblem]:
        settings = self.options
        try:
            rows = conn.execute(_ITEMS_SQL, [self._kinds]).fetchall()
            rows = [row for row in rows if selected(row[0], settings.include, settings.exclude)]
            next_xid, volatile = self._write_markers(conn)
            sizes = self._sizes(conn, [row[1] for row in rows if row[10] and row[2] != "v"])
        except psycopg.Error as exc:
            raise SourceError(f"{self.source}: {self.reason(exc)}") from None
        for item_id, oid, kind, filenode, reltuples, estimate, live, ins, upd, dele, readable, cols, rules in rows:
            if not readable:
                reason = f"permission denied: no SELECT privilege on {item_id}"
                yield ItemProblem(item_id, "failed", reason, source=self.source)
                continue
            if kind == "v":
                fingerprint = f"view:{(rules or '')[:12]}:{(cols or '')[:12]}:{next_xid}"
                size, rows_estimate = 0, None
            else:
                fingerprint = f"{filenode}:{ins or 0}:{upd or 0}:{dele or 0}:{(cols or '')[:12]}"
                if volatile:
                    fingerprint += f":{volatile}"
                size = sizes.get(oid, max(0, estimate or 0))
                rows_estimate = reltuples if reltuples and reltuples > 0 else (live or 0)
            yield ItemRef(self.source, item_id, "table", size, fingerprint, rows=rows_estimate)

    def _write_markers(self, conn: psycopg.Connection[Any]) -> tuple[str, str]:
        """The cluster's next transaction id (for views), and the same for tables where
        statistics do not count writes (standby, track_counts off), else ""."""
        snapshot = "pg_current_snapshot" if conn.info.server_version >= 130000 else "txid_current_snapshot"
        xmax = "pg_snapshot_xmax" if conn.info.server_version >= 130000 else "txid_snapshot_xmax"
        row = conn.execute(
            f"SELECT current_setting('track_counts')::bool, pg_is_in_recovery(), {xmax}({snapshot}())::text"
        ).fetchone()
        assert row is not None
        counted, standby, next_xid = row
        marker = f"x{next_xid}"
        return marker, (marker if standby or not counted else "")

    def _sizes(self, conn: psycopg.Connection[Any], oids: list[int]) -> dict[int, int]:
        """Bytes of each table's data (heap and TOAST, not indexes: what a scan reads).

        pg_table_size waits for a table's lock, so when one is locked (lock timeout), tables
        are sized one by one and the locked ones keep the estimate from pg_class."""
        try:
            return dict(conn.execute("SELECT o, pg_table_size(o) FROM unnest(%s::oid[]) AS o", [oids]).fetchall())
        except (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled):
            pass
        sizes: dict[int, int] = {}
        for oid in oids:
            try:
                row = conn.execute("SELECT pg_table_size(%s::oid)", [oid]).fetchone()
            except (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled):
                continue
            if row is not None and row[0] is not None:
                sizes[oid] = row[0]
        return sizes

    def _locator_keys(self, conn: Any, oids: list[int]) -> dict[int, tuple[str, tuple[str, ...]]]:
        """(key kind, columns) locating each table's rows: its primary key, else its unique
        index on NOT NULL columns with the fewest columns (then by name)."""
        best: dict[int, tuple[tuple[int, int, str], str, tuple[str, ...]]] = {}
        for relid, primary, index_name, columns, not_null in conn.execute(_KEYS_SQL, [oids]):
            if not columns or not (primary or not_null):
                continue
            rank = (0 if primary else 1, len(columns), index_name)
            if relid not in best or rank < best[relid][0]:
                best[relid] = (rank, "primary_key" if primary else "unique_key", tuple(columns))
        return {relid: (kind, columns) for relid, (_, kind, columns) in best.items()}

    def describe(self, conn: Any, item_id: str, *, views: bool = True) -> TableSchema:
        found = conn.execute(_TABLE_SQL, [item_id, self._kinds if views else ["r"]]).fetchall()
        if not found:
            raise Unreadable(f"table {item_id} does not exist")
        if len(found) > 1:
            raise Unreadable(f"table name {item_id} is ambiguous (a schema or table name has a dot); erase by hand")
        oid, relkind, qualified, whole_table = found[0]
        columns = tuple(
            Column(
                name,
                type_,
                base,
                readable=readable,
                scanned=base not in BINARY_TYPES,
                not_null=not_null,
                text=category == "S" and (length is None or length >= len(REDACTION)),
                primary=primary,
                json=base in JSON_TYPES,
            )
            for name, type_, base, readable, category, length, not_null, primary in conn.execute(_COLUMNS_SQL, [oid])
        )
        kind, key = self._locator_keys(conn, [oid]).get(oid, ("primary_key", ()))
        if not all(c.readable for c in columns if c.name in key):
            key = ()  # a key the user may not read cannot locate rows
        types = {c.name: c.base for c in columns}
        return TableSchema(
            item_id,
            qualified.replace("%", "%%"),  # statements run with parameters
            columns,
            key=key,
            key_kind=kind,
            # reading ctid needs SELECT on the whole table, not just on some columns
            fallback="ctid" if relkind != "v" and whole_table else "row",
            is_view=relkind == "v",
            integer_key=len(key) == 1 and types[key[0]] in _INTEGER_TYPES,
        )

    def foreign_keys(self, conn: Any, table: TableSchema | None = None) -> list[ForeignKey]:
        """Declared foreign keys between listed tables, columns in declaration order.

        ``ref_kind`` is "primary_key" when the referenced columns are the referenced
        table's primary key, "unique_key" when they are the unique key its rows are
        located by, else None (recorded, not followed)."""
        include, exclude = self.options.include, self.options.exclude
        try:
            rows = conn.execute(
                _FOREIGN_KEYS_SQL, {"kinds": self._kinds, "table": None if table is None else table.item_id}
            ).fetchall()
            rows = [r for r in rows if selected(r[1], include, exclude) and selected(r[3], include, exclude)]
            keys = self._locator_keys(conn, sorted({r[2] for r in rows}))
        except psycopg.Error as exc:
            if table is not None:
                raise
            raise SourceError(f"{self.source}: {self.reason(exc)}") from None
        found: dict[tuple[Any, ...], ForeignKey] = {}
        for name, child, ref_oid, ref_table, columns, ref_columns in rows:
            kind, key = keys.get(ref_oid, ("", ()))
            ref_kind = kind if key and set(key) == set(ref_columns) else None
            fk = ForeignKey(name, child, tuple(columns), ref_table, tuple(ref_columns), ref_kind)
            # a key on a partitioned table is repeated for each partition it references
            found.setdefault((child, fk.columns, ref_table, fk.ref_columns), fk)
        return list(found.values())

    # -- SQL -------------------------------------------------------------------------------------

    def quote(self, name: str) -> str:
        """A quoted identifier for a query run with parameters ("%" doubled for psycopg)."""
        return '"' + name.replace('"', '""').replace("%", "%%") + '"'

    def param(self, column: Column) -> str:
        return f"%s::{column.type.replace('%', '%%')}"

    def select_text(self, column: Column) -> str:
        return f"{self.quote(column.name)}::text"

    def locator_expression(self, table: TableSchema) -> str | None:
        return "ctid::text" if not table.key and table.fallback == "ctid" else None

    def text_array(self, conn: Any, values: Sequence[Any]) -> pa.Array:
        return pa.array(_lenient(values) if _raw_text(conn) else values, type=pa.string())

    def native(self, conn: Any, values: Sequence[Any]) -> list[Any]:
        return _lenient(values) if _raw_text(conn) else list(values)

    def keyless_note(self, table: TableSchema) -> str:
        if table.fallback == "ctid":
            return CTID_NOTE
        return VIEW_NOTE if table.is_view else ROW_NOTE

    # -- erasure ---------------------------------------------------------------------------------

    def state_select(self, column: Column) -> str:
        return f"{self.quote(column.name)}::text"  # the server's own text form: stable for every type

    def match(self, column: Column, value: Any) -> tuple[str, list[Any]]:
        name = self.quote(column.name)
        if value is None:
            return f"{name} IS NULL", []
        if column.type == "bytea" and isinstance(value, str):
            return f"{name} = decode(%s, 'hex')", [value]
        # the value in the column's own type: "2024-01-02 03:04:05+00:00" (str of a datetime) is a timestamptz
        return f"{name} = CAST(%s AS {column.type.replace('%', '%%')})", [value]

    def begin(self, conn: Any, write: bool) -> None:
        if write:
            conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE")
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")  # a deferred violation fails its action, not the commit
        else:
            conn.execute("BEGIN READ ONLY")


def _raw_text(conn: Any) -> bool:
    """A SQL_ASCII database: its text is bytes no one checked."""
    return bool(conn.info.parameter_status("server_encoding") == "SQL_ASCII")


class PostgresConnector(SQLConnector):
    """Tables of one PostgreSQL database."""

    schemes = ("postgresql", "postgres")
    options_class = PostgresOptions
    dialect_class = PostgresDialect

    def item_identity(self, item_id: str) -> str:
        """Server, database and table ("schema.table"), whoever connects: two URLs for the same database
        (another user, options, a password or not) reach the same tables."""
        try:
            params = psycopg.conninfo.conninfo_to_dict(self.url)
        except psycopg.Error:
            return super().item_identity(item_id)
        host = str(params.get("host") or "localhost").lower()
        database = params.get("dbname") or params.get("user") or ""
        return f"postgresql://{host}:{params.get('port') or 5432}/{database}\x1f{item_id}"


class PostgresEraser(SQLEraser):
    """Rows of one PostgreSQL database: ``password_env``, ``statement_timeout_s`` and ``lock_timeout_s``
    (how long to wait for a row another session holds) apply; scan-wide options are ignored."""

    dialect_class = PostgresDialect
    options_class = PostgresOptions
