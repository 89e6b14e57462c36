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
from dataclasses import dataclass
from typing import Any

import psycopg
import pyarrow as pa
from psycopg.adapt import Dumper, Loader

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
from piiscan.connectors.formats.common import decode_lenient
from piiscan.connectors.formats.jsonpath import expand_json_columns
from piiscan.connectors.globs import selected

HIDDEN_CTID = "__ctid__"
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

# name, type for casts, base type name (domains resolved, arrays to their element), readable
_COLUMNS_SQL = """
SELECT a.attname, format_type(a.atttypid, NULL), coalesce(e.typname, d.typname),
       has_column_privilege(a.attrelid, a.attnum, 'SELECT')
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
  AND (%(relid)s::oid IS NULL OR con.conrelid = %(relid)s::oid)
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


def _ident(name: str) -> str:
    """A quoted identifier for a query run with parameters ("%" doubled for psycopg)."""
    return '"' + name.replace('"', '""').replace("%", "%%") + '"'


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


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
class _Column:
    name: str
    type: str  # for casting keyset parameters to the column's own type (so its index is used)
    base: str  # base type name: domains resolved, arrays to their element type
    readable: bool


@dataclass(frozen=True)
class _Table:
    item_id: str
    oid: int
    relkind: str
    qualified: str  # quoted schema.table
    columns: tuple[_Column, ...]
    key: tuple[str, ...]  # locator columns in index order; () for ctid or row numbers
    key_kind: str  # "primary_key", "unique_key", "ctid" or "row" (numbered in query order)

    @property
    def scanned(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.readable and c.base not in BINARY_TYPES)

    def column(self, name: str) -> _Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def integer_key(self) -> bool:
        """A single integer key column: splittable into ranges."""
        return len(self.key) == 1 and self.column(self.key[0]).base in _INTEGER_TYPES


class PostgresConnector(Connector):
    """Tables of one PostgreSQL database.

    Options: ``include``/``exclude`` (glob patterns on "schema.table"),
    ``include_views`` (views and materialized views, default False),
    ``password_env``, ``statement_timeout_s``, ``lock_timeout_s``,
    ``idle_timeout_s`` (idle in transaction) and ``batch_rows``.
    """

    schemes = ("postgresql", "postgres")

    def __init__(
        self,
        url: str,
        *,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        include_views: bool = False,
        password_env: str | None = None,
        statement_timeout_s: float = 300,
        lock_timeout_s: float = 5,
        idle_timeout_s: float = 600,
        batch_rows: int = 10_000,
    ) -> None:
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        if scheme not in self.schemes:
            raise ValueError(f"PostgreSQL URL must look like postgresql://user@host:port/database: {redact_url(url)}")
        if batch_rows < 1:
            raise ValueError("batch_rows must be at least 1")
        super().__init__(
            url,
            include=tuple(include),
            exclude=tuple(exclude),
            include_views=include_views,
            password_env=password_env,
            statement_timeout_s=statement_timeout_s,
            lock_timeout_s=lock_timeout_s,
            idle_timeout_s=idle_timeout_s,
            batch_rows=batch_rows,
        )
        self.include = tuple(include)
        self.exclude = tuple(exclude)
        self.include_views = include_views
        self.password_env = password_env
        self.statement_timeout_s = statement_timeout_s
        self.lock_timeout_s = lock_timeout_s
        self.idle_timeout_s = idle_timeout_s
        self.batch_rows = batch_rows
        self._source = redact_url(url)
        self._conn: psycopg.Connection[Any] | None = None
        self._conn_raw_text: bool | None = None  # a SQL_ASCII database (reset with the connection)

    @property
    def source(self) -> str:
        return self._source

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

    @property
    def _kinds(self) -> list[str]:
        """Relation kinds listed: tables (partitions are tables; their partitioned parents
        hold no rows of their own), plus views and materialized views on request."""
        return ["r", "v", "m"] if self.include_views else ["r"]

    # -- connection -----------------------------------------------------------

    def _secrets(self) -> list[str]:
        """Every spelling of the password this connector may use, for scrubbing messages."""
        found = []
        rest = self.url.split("://", 1)[-1]
        match = re.match(r"[^@/]*?:([^@/]*)@", rest)
        if match:
            found.append(match.group(1))
        with contextlib.suppress(psycopg.Error):
            found.append(psycopg.conninfo.conninfo_to_dict(self.url).get("password") or "")
        found.append(os.environ.get(self.password_env, "") if self.password_env else "")
        return sorted({s for s in found if s}, key=len, reverse=True)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets():
            text = text.replace(secret, "***")
        return text

    def _params(self) -> dict[str, Any]:
        try:
            params: dict[str, Any] = psycopg.conninfo.conninfo_to_dict(self.url)
        except psycopg.Error as exc:
            raise SourceError(f"{self.source}: invalid URL: {self._scrub(_first_line(str(exc)))}") from None
        if self.password_env:
            password = os.environ.get(self.password_env)
            if password is None:
                raise SourceError(f"{self.source}: environment variable {self.password_env} is not set")
            params["password"] = password
        params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
        params["application_name"] = "piiscan"
        return params

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        self._conn = None
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
                    str(max(1, round(self.statement_timeout_s * 1000))),
                    str(max(1, round(self.lock_timeout_s * 1000))),
                    str(max(1, round(self.idle_timeout_s * 1000))),
                ],
            )
        except psycopg.Error as exc:
            conn.close()
            raise SourceError(f"{self.source}: {self._connect_reason(exc)}") from None
        self._conn_raw_text = conn.info.parameter_status("server_encoding") == "SQL_ASCII"
        if self._conn_raw_text:
            for name in ("text", "varchar", "bpchar", "name"):
                conn.adapters.register_loader(name, _RawTextLoader)
            conn.adapters.register_dumper(str, _RawTextDumper)
        self._conn = conn
        return conn

    def _connect_reason(self, exc: BaseException) -> str:
        """libpq's message cut to its reason: ``connection refused``, ``database "x" does not exist``."""
        line = _first_line(self._scrub(str(exc)))
        line = re.sub(r"^connection failed:\s*", "", line)
        line = re.sub(r"^connection to server (?:at|on) .*? failed:\s*", "", line)
        line = re.sub(r"^(?:FATAL|ERROR):\s*", "", line)
        return (line[:1].lower() + line[1:]) or type(exc).__name__

    def _error_reason(self, exc: BaseException) -> str:
        """One line without data values: data exceptions (class 22) may quote a value, so they
        are named by SQLSTATE only."""
        if isinstance(exc, SourceError):
            return str(exc)
        state = getattr(exc, "sqlstate", None)
        if state and state.startswith("22"):
            return f"PostgreSQL error: a value could not be read (SQLSTATE {state})"
        diag = getattr(exc, "diag", None)
        message = (diag.message_primary if diag is not None else None) or _first_line(str(exc))
        message = self._scrub(_first_line(message)) or type(exc).__name__
        return f"PostgreSQL error: {message}" + (f" (SQLSTATE {state})" if state else "")

    def _drop_if_broken(self) -> None:
        """After an error the server may have ended the session (idle timeout, restart)."""
        if self._conn is not None and (self._conn.closed or self._conn.broken):
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- enumerate ------------------------------------------------------------

    def enumerate(self) -> Iterator[ItemRef | ItemProblem]:
        conn = self._connection()
        try:
            rows = conn.execute(_ITEMS_SQL, [self._kinds]).fetchall()
            rows = [row for row in rows if selected(row[0], self.include, self.exclude)]
            next_xid, volatile = self._write_markers(conn)
            sizes = self._sizes(conn, [row[1] for row in rows if row[10] and row[2] != "v"])
        except psycopg.Error as exc:
            self._drop_if_broken()
            raise SourceError(f"{self.source}: {self._error_reason(exc)}") from None
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
        counted, standby, next_xid = conn.execute(
            f"SELECT current_setting('track_counts')::bool, pg_is_in_recovery(), {xmax}({snapshot}())::text"
        ).fetchone()
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
        sizes = {}
        for oid in oids:
            try:
                (sizes[oid],) = conn.execute("SELECT pg_table_size(%s::oid)", [oid]).fetchone()
            except (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled):
                continue
        return {oid: size for oid, size in sizes.items() if size is not None}

    # -- keys -----------------------------------------------------------------

    def _locator_keys(self, conn: psycopg.Connection[Any], oids: list[int]) -> dict[int, tuple[str, tuple[str, ...]]]:
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

    def _table(self, item_id: str) -> _Table:
        conn = self._connection()
        found = conn.execute(_TABLE_SQL, [item_id, self._kinds]).fetchall()
        if not found:
            raise LookupError(f"table {item_id} does not exist")
        if len(found) > 1:
            raise LookupError(f"table name {item_id} is ambiguous (a schema or table name has a dot)")
        oid, relkind, qualified, whole_table = found[0]
        columns = tuple(_Column(*row) for row in conn.execute(_COLUMNS_SQL, [oid]))
        kind, key = self._locator_keys(conn, [oid]).get(oid, ("", ()))
        if not all(c.readable for c in columns if c.name in key):
            kind, key = "", ()  # a key the user may not read cannot locate rows
        if not key:  # reading ctid needs SELECT on the whole table, not just on some columns
            kind = "ctid" if relkind != "v" and whole_table else "row"
        return _Table(item_id, oid, relkind, qualified, columns, key, kind)

    def foreign_keys(self) -> list[ForeignKey]:
        """Declared foreign keys between listed tables, columns in declaration order.

        ``ref_kind`` is "primary_key" when the referenced columns are the referenced
        table's primary key, "unique_key" when they are the unique key its rows are
        located by, else None (recorded, not followed)."""
        try:
            return self._foreign_keys(self._connection(), None)
        except psycopg.Error as exc:
            self._drop_if_broken()
            raise SourceError(f"{self.source}: {self._error_reason(exc)}") from None

    def _foreign_keys(self, conn: psycopg.Connection[Any], relid: int | None) -> list[ForeignKey]:
        rows = conn.execute(_FOREIGN_KEYS_SQL, {"kinds": self._kinds, "relid": relid}).fetchall()
        rows = [
            r for r in rows if selected(r[1], self.include, self.exclude) and selected(r[3], self.include, self.exclude)
        ]
        keys = self._locator_keys(conn, sorted({r[2] for r in rows}))
        found: dict[tuple[Any, ...], ForeignKey] = {}
        for name, table, ref_oid, ref_table, columns, ref_columns in rows:
            kind, key = keys.get(ref_oid, ("", ()))
            ref_kind = kind if key and set(key) == set(ref_columns) else None
            fk = ForeignKey(name, table, tuple(columns), ref_table, tuple(ref_columns), ref_kind)
            # a key on a partitioned table is repeated for each partition it references
            found.setdefault((table, fk.columns, ref_table, fk.ref_columns), fk)
        return list(found.values())

    def inferred_foreign_keys(self) -> list[ForeignKey]:
        """Same-named ``*_id`` columns whose values all exist in another table's primary key
        (:mod:`piiscan.connectors.relationships`; one read-only anti-join per candidate)."""
        try:
            conn = self._connection()
            tables = {i.item_id: self._table(i.item_id) for i in self.enumerate() if isinstance(i, ItemRef)}
            declared = self._foreign_keys(conn, None)
        except (psycopg.Error, LookupError) as exc:
            self._drop_if_broken()
            raise SourceError(f"{self.source}: {self._error_reason(exc)}") from None
        columns = {t: tuple(c.name for c in table.columns if c.readable) for t, table in tables.items()}
        keys = {t: table.key for t, table in tables.items() if table.key_kind == "primary_key"}

        def contained(fk: ForeignKey) -> bool | None:
            table, ref = tables[fk.table], tables[fk.ref_table]
            col, ref_col = _ident(fk.columns[0]), _ident(fk.ref_columns[0])
            sql = relationships.containment_sql(table.qualified, col, ref.qualified, ref_col)
            try:
                some, all_found = conn.execute(sql, []).fetchone()
            except psycopg.Error:  # incomparable types, a timeout, no privilege: no suggestion
                self._drop_if_broken()
                return None
            return bool(some and all_found)

        return relationships.infer(columns, keys, declared, contained)

    # -- plan -----------------------------------------------------------------

    def plan(self, item: ItemRef, unit_bytes: int) -> list[WorkUnit]:
        """Ranges of a single integer key when the table is bigger than ``unit_bytes``;
        the first and last range are open-ended.  Anything else is one unit."""
        parts = table_parts(item, unit_bytes)
        if parts <= 1:
            return [WorkUnit(item)]
        try:
            table = self._table(item.item_id)
            if not table.integer_key:
                return [WorkUnit(item)]
            column = _ident(table.key[0])
            sql = f"SELECT MIN({column}), MAX({column}) FROM {table.qualified}"  # O(log n) on the key's index
            low, high = self._connection().execute(sql, []).fetchone()
        except (psycopg.Error, SourceError, LookupError):
            self._drop_if_broken()
            return [WorkUnit(item)]
        return key_range_units(item, parts, low, high)

    # -- read -----------------------------------------------------------------

    def read(self, unit: WorkUnit) -> Iterator[ReadResult]:
        item = unit.item
        try:
            table = self._table(item.item_id)
            readable = {c.name for c in table.columns if c.readable}
            if not readable:
                reason = f"permission denied: no SELECT privilege on {item.item_id}"
                yield ItemProblem(item.item_id, "failed", reason, source=self.source, size=item.size)
                return
            if not table.scanned:
                return
            declared = self._foreign_keys(self._connection(), table.oid)
            extra = [fk for fk in self.extra_foreign_keys if fk.table == item.item_id]
            fks = [fk for fk in declared + extra if set(fk.columns) <= readable]
            native = list(dict.fromkeys([*table.key, *(c for fk in fks for c in fk.columns)]))
            # output columns get positional names: a column read twice (natively and as text) is not ambiguous
            select = [
                *(["t.ctid::text AS c"] if table.key_kind == "ctid" else []),
                *(f"t.{_ident(c)} AS n{i}" for i, c in enumerate(native)),
                *(f"t.{_ident(c)}::text AS s{i}" for i, c in enumerate(table.scanned)),
            ]
            sql = f"SELECT {', '.join(select)} FROM {table.qualified} AS t"
            pages = self._keyset_pages(table, sql, unit) if table.key else self._cursor_pages(sql)
            row = 1
            for rows in pages:
                yield self._batch(table, fks, native, rows, row)
                row += len(rows)
        except (psycopg.Error, SourceError, LookupError) as exc:
            self._drop_if_broken()
            reason = str(exc) if isinstance(exc, LookupError) else self._error_reason(exc)
            yield ItemProblem(item.item_id, "failed", reason, source=self.source, size=item.size)

    def fetch(
        self, item_id: str, locators: list[dict[str, Any]], key: LocatorKey | None = None
    ) -> Iterator[FetchedRecord | ItemProblem]:
        """Rows by their primary or unique key, ``FETCH_BATCH`` at a time (``WHERE (k1, k2) IN (...)``, one
        short read-only query each); ctid and row-number locators (and masked key values) through the
        default full read.  Values are read as :meth:`read` reads them (text, JSON split by path)."""
        key = key or locator_json
        wanted = {locator_json(loc): loc for loc in locators}
        done: set[str] = set()
        try:
            table = self._table(item_id)
            values = key_values(locators, table.key_kind, table.key) if table.key else []
            if values:
                native = list(table.key)
                select = [
                    *(f"t.{_ident(c)} AS n{i}" for i, c in enumerate(native)),
                    *(f"t.{_ident(c)}::text AS s{i}" for i, c in enumerate(table.scanned)),
                ]
                columns = ", ".join(f"t.{_ident(k)}" for k in table.key)
                row = "(" + ", ".join(f"%s::{table.column(k).type.replace('%', '%%')}" for k in table.key) + ")"
                for start in range(0, len(values), FETCH_BATCH):
                    part = values[start : start + FETCH_BATCH]
                    sql = (
                        f"SELECT {', '.join(select)} FROM {table.qualified} AS t"
                        f" WHERE ({columns}) IN ({', '.join([row] * len(part))})"
                    )
                    rows = self._connection().execute(sql, [v for value in part for v in value]).fetchall()
                    if rows:
                        batch = self._batch(table, [], native, rows, 1)
                        for record in matching_records(batch, item_id, wanted, key):
                            done.add(locator_json(record.locator))
                            yield record
                done |= {locator_json({table.key_kind: dict(zip(table.key, v, strict=True))}) for v in values}
        except (psycopg.Error, SourceError, LookupError) as exc:
            self._drop_if_broken()
            reason = str(exc) if isinstance(exc, LookupError) else self._error_reason(exc)
            yield ItemProblem(item_id, "failed", reason, source=self.source)
            return
        rest = [loc for text, loc in wanted.items() if text not in done]
        if rest:
            yield from super().fetch(item_id, rest, key)

    def _keyset_pages(self, table: _Table, select: str, unit: WorkUnit) -> Iterator[list[tuple[Any, ...]]]:
        """Pages in key order within the unit's range, each one short autocommit query."""
        order = [f"t.{_ident(k)}" for k in table.key]
        params = [f"%s::{table.column(k).type.replace('%', '%%')}" for k in table.key]
        bounds, bound_values = [], []
        if unit.start is not None:
            bounds.append(f"{order[0]} >= {params[0]}")
            bound_values.append(unit.start)
        if unit.stop is not None:
            bounds.append(f"{order[0]} < {params[0]}")
            bound_values.append(unit.stop)
        after = f"({', '.join(order)}) > ({', '.join(params)})"
        last: list[Any] = []
        while True:
            where = [*bounds, after] if last else bounds
            sql = f"{select}{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY {', '.join(order)} LIMIT %s"
            rows = self._connection().execute(sql, [*bound_values, *last, self.batch_rows]).fetchall()
            if rows:
                yield rows
            if len(rows) < self.batch_rows:
                return
            last = list(rows[-1][: len(order)])  # native key values come first in every row

    def _cursor_pages(self, select: str) -> Iterator[list[tuple[Any, ...]]]:
        """A server-side cursor in one read-only transaction, for tables without a key."""
        conn = self._connection()
        with conn.transaction(), conn.cursor(name=f"piiscan_{secrets.token_hex(4)}") as cursor:
            cursor.execute(select, [])
            while rows := cursor.fetchmany(self.batch_rows):
                yield rows

    def _batch(
        self, table: _Table, fks: list[ForeignKey], native: list[str], rows: list[tuple[Any, ...]], first_row: int
    ) -> TableBatch:
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
        if self._conn_raw_text:
            columns = [_lenient(column) for column in columns]
        offset = 1 if table.key_kind == "ctid" else 0
        values = {name: list(columns[offset + i]) for i, name in enumerate(native)}
        texts = columns[offset + len(native) :]
        names = list(table.scanned)
        arrays = [pa.array(column, type=pa.string()) for column in texts]
        fk_values = tuple([values[c] for c in fk.columns] for fk in fks)
        json_columns = [c.name for c in table.columns if c.name in names and c.base in JSON_TYPES]
        if table.key:
            batch = expand_json_columns(pa.RecordBatch.from_arrays(arrays, names=names), json_columns)
            return TableBatch(
                batch,
                key_columns=table.key,
                key_kind=table.key_kind,
                _key_values=[values[k] for k in table.key],
                foreign_keys=tuple(fks),
                fk_values=fk_values,
            )
        if table.key_kind == "ctid":
            hidden = HIDDEN_CTID
            while hidden in names:
                hidden += "_"
            batch = pa.RecordBatch.from_arrays([pa.array(columns[0], type=pa.string()), *arrays], [hidden, *names])
            batch = expand_json_columns(batch, json_columns)
            return TableBatch(
                batch,
                key_columns=(hidden,),
                key_kind="ctid",
                row_locators=[{"ctid": ctid} for ctid in columns[0]],
                hidden_columns=(hidden,),
                key_note=CTID_NOTE,
                foreign_keys=tuple(fks),
                fk_values=fk_values,
            )
        batch = expand_json_columns(pa.RecordBatch.from_arrays(arrays, names=names), json_columns)
        note = VIEW_NOTE if table.relkind == "v" else ROW_NOTE
        return TableBatch(batch, first_row=first_row, key_note=note, foreign_keys=tuple(fks), fk_values=fk_values)
