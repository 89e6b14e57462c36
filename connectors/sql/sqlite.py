"""SQLite databases: one item per table, opened read-only for a scan (``mode=ro``: a scan never writes,
and a missing file is never created).

Rowid tables page by rowid (the table's own order, always unique and non-null); their locators use the
primary key when there is one, else ``{"rowid": n}`` from a hidden ``__rowid__`` column.  WITHOUT ROWID
tables page by their primary key; views are numbered in query order.

An item's fingerprint is ``"{rows}:{max rowid}:{mtime_ns}"``, where mtime_ns is the newest of the database
file and its -wal file: coarse (any write to the database changes every table's fingerprint) but it never
misses an update in place, which row counts and max rowid alone would.

Erasure opens the file read-write (it must exist), with foreign keys enforced, and takes the write lock
with ``BEGIN IMMEDIATE`` before reading the rows it changes.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from piiscan.connectors.base import ConnectorOptions, ForeignKey, ItemProblem, ItemRef, SourceError
from piiscan.connectors.formats.common import decode_lenient, failure_reason
from piiscan.connectors.sql.connector import SQLConnector
from piiscan.connectors.sql.dialect import Dialect, first_line
from piiscan.connectors.sql.eraser import SQLEraser
from piiscan.connectors.sql.schema import Column, TableSchema, Unreadable

BATCH_ROWS = 50_000
_ROWID_ALIASES = ("rowid", "_rowid_", "oid")
_VIEW_ROW_BYTES = 100  # views store nothing; a rough size for planning


def sqlite_path(url: str) -> str:
    """The path in ``sqlite:///relative.db`` or ``sqlite:////absolute.db`` (SQLAlchemy's
    convention), or a plain path."""
    if not url.startswith("sqlite:"):
        return url
    rest = url[len("sqlite:") :]
    if not rest.startswith("///") or len(rest) == 3:
        raise ValueError(f"SQLite URL must look like sqlite:///path.db: {url!r}")
    return rest[3:]


def _text_affinity(declared: str) -> bool:
    """TEXT affinity (SQLite's rules): the type names CHAR, CLOB or TEXT and not INT."""
    upper = declared.upper()
    return "INT" not in upper and any(word in upper for word in ("CHAR", "CLOB", "TEXT"))


@dataclass(frozen=True)
class SQLiteOptions(ConnectorOptions):
    include_views: bool = field(default=False, metadata={"doc": "scan views too (their rows numbered in order)"})
    batch_rows: int = field(default=BATCH_ROWS, metadata={"doc": "rows read per query"})
    lock_timeout_s: float = field(default=5, metadata={"doc": "seconds to wait for another writer's lock"})


class SQLiteDialect(Dialect[SQLiteOptions]):
    name = "SQLite"
    placeholder = "?"
    values_prefix = "VALUES "
    lock_clause = ""  # BEGIN IMMEDIATE holds the write lock
    exact_counts = True

    def __init__(self, url: str, options: SQLiteOptions, url_password: str | None = None) -> None:
        super().__init__(url, options, url_password)
        self.path = Path(os.path.abspath(os.path.expanduser(sqlite_path(url))))

    @property
    def source(self) -> str:
        return "sqlite:///" + self.path.as_posix()

    @property
    def errors(self) -> tuple[type[BaseException], ...]:
        return (sqlite3.Error,)

    def connect(self, write: bool = False) -> sqlite3.Connection:
        if not self.path.exists():
            raise SourceError(f"{self.source}: does not exist")
        if not self.path.is_file():
            raise SourceError(f"{self.source}: not a file")
        try:
            conn = sqlite3.connect(
                f"file:{quote(self.path.as_posix())}?mode={'rw' if write else 'ro'}",
                uri=True,
                timeout=self.options.lock_timeout_s,
                isolation_level=None,  # transactions are explicit
                check_same_thread=False,
            )
            # a scan cannot write; an erasure must respect foreign keys (off by default in SQLite)
            conn.execute("PRAGMA foreign_keys = ON" if write else "PRAGMA query_only = ON")
        except sqlite3.Error as exc:
            raise SourceError(f"{self.source}: {self.reason(exc)}") from None
        conn.text_factory = decode_lenient  # invalid UTF-8 in a TEXT value must not fail the table
        return conn

    def reason(self, exc: BaseException) -> str:
        return f"SQLite error: {first_line(str(exc)) or type(exc).__name__}"

    def broken(self, conn: Any, exc: BaseException) -> bool:
        return False

    def fatal(self, conn: Any, exc: BaseException) -> bool:
        return type(exc) is sqlite3.DatabaseError  # "file is not a database" and the like; not a constraint

    def stream(self, conn: Any, sql: str, batch_rows: int) -> Iterator[list[tuple[Any, ...]]]:
        cursor = conn.execute(sql)
        while rows := cursor.fetchmany(batch_rows):
            yield rows

    def quote(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    # -- catalog ---------------------------------------------------------------------------------

    @property
    def _kinds(self) -> tuple[str, ...]:
        return ("table", "view") if self.options.include_views else ("table",)

    def items(self, conn: Any) -> Iterator[ItemRef | ItemProblem]:
        kinds = self._kinds
        try:
            names = conn.execute(
                f"SELECT name, type FROM sqlite_master WHERE type IN ({','.join('?' * len(kinds))})"
                r" AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name",
                kinds,
            ).fetchall()
            (page_count,) = conn.execute("PRAGMA page_count").fetchone()
            (page_size,) = conn.execute("PRAGMA page_size").fetchone()
        except sqlite3.Error as exc:
            raise SourceError(f"{self.source}: {first_line(str(exc))}") from None
        try:
            mtime_ns = self._mtime_ns()
        except OSError as exc:
            raise SourceError(f"{self.source}: {failure_reason(exc)}") from None
        stored = self._stored_sizes(conn)
        counted: list[tuple[str, str, int, int | None]] = []
        for name, kind in names:
            try:
                rows, max_rowid = self._count(conn, name)
            except (sqlite3.Error, Unreadable) as exc:
                yield ItemProblem(name, "failed", self.failure(exc), source=self.source)
                continue
            counted.append((name, kind, rows, max_rowid))
        table_rows = sum(rows for _, kind, rows, _ in counted if kind == "table") or 1
        for name, kind, rows, max_rowid in counted:
            if kind == "view":
                size = rows * _VIEW_ROW_BYTES
            elif stored is not None and name in stored:
                size = stored[name]
            else:
                size = page_count * page_size * rows // table_rows
            yield self._item(name, size, rows, max_rowid, mtime_ns)

    def _item(self, name: str, size: int, rows: int, max_rowid: int | None, mtime_ns: int) -> ItemRef:
        fingerprint = f"{rows}:{'' if max_rowid is None else max_rowid}:{mtime_ns}"
        return ItemRef(self.source, name, "table", size, fingerprint, mtime=mtime_ns / 1e9, rows=rows)

    def current(self, conn: Any, item_id: str) -> ItemRef | ItemProblem | None:
        """One table's live fingerprint (as :meth:`items` makes it) without counting every table."""
        try:
            kind = conn.execute("SELECT type FROM sqlite_master WHERE name = ?", (item_id,)).fetchone()
            if kind is None or kind[0] not in self._kinds or item_id.startswith("sqlite_"):
                return None
            rows, max_rowid = self._count(conn, item_id)
            mtime_ns = self._mtime_ns()
            stored = conn.execute("SELECT SUM(pgsize) FROM dbstat WHERE name = ?", (item_id,)).fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "dbstat" not in str(exc):
                return ItemProblem(item_id, "failed", self.reason(exc), source=self.source)
            stored = None
        except (sqlite3.Error, Unreadable, OSError) as exc:
            reason = str(exc) if isinstance(exc, Unreadable) else f"cannot read: {type(exc).__name__}"
            return ItemProblem(item_id, "failed", reason, source=self.source)
        return self._item(item_id, int(stored or 0), rows, max_rowid, mtime_ns)

    def _count(self, conn: Any, name: str) -> tuple[int, int | None]:
        table = self.describe(conn, name)
        if table.rowid:
            rows, max_rowid = conn.execute(f"SELECT COUNT(*), MAX({table.rowid}) FROM {table.qualified}").fetchone()
            return int(rows), max_rowid
        return int(conn.execute(f"SELECT COUNT(*) FROM {table.qualified}").fetchone()[0]), None

    def _stored_sizes(self, conn: Any) -> dict[str, int] | None:
        """Bytes of each table's b-tree from the dbstat virtual table, if compiled in."""
        try:
            return {name: size for name, size in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")}
        except sqlite3.Error:
            return None

    def _mtime_ns(self) -> int:
        stamps = [self.path.stat().st_mtime_ns]
        wal = self.path.with_name(self.path.name + "-wal")
        if wal.exists():
            stamps.append(wal.stat().st_mtime_ns)
        return max(stamps)

    def describe(self, conn: Any, item_id: str, *, views: bool = True) -> TableSchema:
        kind = conn.execute("SELECT type FROM sqlite_master WHERE name = ?", (item_id,)).fetchone()
        # cid, name, type, notnull, default, pk, hidden (1 = hidden column of a virtual table)
        info = [row for row in conn.execute("SELECT * FROM pragma_table_xinfo(?)", (item_id,)) if row[6] != 1]
        if kind is None or not info or kind[0] not in (("table", "view") if views else ("table",)):
            # as SQLite itself says it to a reader; an eraser names what it looked for
            raise Unreadable(f"SQLite error: no such table: {item_id}" if views else f"table {item_id} does not exist")
        columns = tuple(
            Column(
                name,
                declared or "",
                declared or "",
                scanned="BLOB" not in (declared or "").upper(),
                not_null=bool(not_null),
                text=_text_affinity(declared or ""),
                primary=pk > 0,
            )
            for _, name, declared, not_null, _, pk, _ in info
        )
        key_info = sorted((row for row in info if row[5] > 0), key=lambda row: row[5])
        key = tuple(row[1] for row in key_info)
        integer_key = len(key_info) == 1 and (key_info[0][2] or "").strip().upper() == "INTEGER"
        rowid = self._rowid_alias(conn, item_id, kind[0], {c.name.lower() for c in columns})
        return TableSchema(
            item_id,
            self.quote(item_id),
            columns,
            key=key,
            fallback="rowid" if rowid else "row",
            rowid=rowid,
            is_view=kind[0] == "view",
            integer_key=bool(rowid) or integer_key,
        )

    def _rowid_alias(self, conn: Any, name: str, kind: str, columns: set[str]) -> str | None:
        """``rowid`` (or ``_rowid_``/``oid`` if a column shadows it); None for views (their rowid is NULL)
        and WITHOUT ROWID tables."""
        if kind != "table":
            return None
        for alias in _ROWID_ALIASES:
            if alias not in columns:
                try:
                    conn.execute(f"SELECT {alias} FROM {self.quote(name)} LIMIT 0")
                except sqlite3.OperationalError:
                    return None  # WITHOUT ROWID table
                return alias
        return None

    def foreign_keys(self, conn: Any, table: TableSchema | None = None) -> list[ForeignKey]:
        """Declared foreign keys (SQLite's are unnamed: ``<table>_fk<n>``); ``PRAGMA foreign_key_list``'s
        NULL target column means the parent's primary key."""
        if table is not None:
            return self._table_foreign_keys(conn, table.item_id)
        try:
            names = [
                row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            ]
            return [fk for name in names for fk in self._table_foreign_keys(conn, name)]
        except sqlite3.Error as exc:
            raise SourceError(f"{self.source}: {first_line(str(exc))}") from None

    def _table_foreign_keys(self, conn: Any, name: str) -> list[ForeignKey]:
        # id, seq, table, from, to, on_update, on_delete, match
        rows = conn.execute("SELECT * FROM pragma_foreign_key_list(?) ORDER BY id, seq", (name,)).fetchall()
        out = []
        for fk_id, group in itertools.groupby(rows, key=lambda row: row[0]):
            members = list(group)
            parent = members[0][2]
            parent_key = tuple(
                row[1]
                for row in sorted(conn.execute("SELECT * FROM pragma_table_info(?)", (parent,)), key=lambda r: r[5])
                if row[5] > 0
            )
            columns = tuple(row[3] for row in members)
            targets = tuple(row[4] for row in members) if all(row[4] for row in members) else parent_key
            is_key = bool(parent_key) and {t.lower() for t in targets} == {k.lower() for k in parent_key}
            if is_key:  # spell the targets as the parent's key columns (the locator's names)
                by_lower = {k.lower(): k for k in parent_key}
                targets = tuple(by_lower[t.lower()] for t in targets)
            out.append(
                ForeignKey(f"{name}_fk{fk_id}", name, columns, parent, targets, "primary_key" if is_key else None)
            )
        return out

    # -- erasure ---------------------------------------------------------------------------------

    def erasable(self, table: TableSchema) -> str | None:
        return None  # views are not described for erasure ("does not exist")

    def begin(self, conn: Any, write: bool) -> None:
        if write:
            conn.execute("BEGIN IMMEDIATE")  # the write lock: no one changes a row between its check and its change
        else:
            conn.execute("PRAGMA query_only = ON")
            conn.execute("BEGIN")

    def end(self, conn: Any, commit: bool) -> None:
        try:
            conn.execute("COMMIT" if commit else "ROLLBACK")
        finally:
            if not commit:
                conn.execute("PRAGMA query_only = OFF")


class SQLiteConnector(SQLConnector):
    """Tables of one SQLite file."""

    schemes = ("sqlite",)
    options_class = SQLiteOptions
    dialect_class = SQLiteDialect

    @property
    def path(self) -> Path:
        assert isinstance(self.dialect, SQLiteDialect)
        return self.dialect.path

    def item_identity(self, item_id: str) -> str:
        """The database file's resolved real path and the table: the same table whether the database was
        named as a source or found in a scanned folder, through whatever link."""
        return f"sqlite://{os.path.realpath(self.path)}\x1f{item_id}"


class SQLiteEraser(SQLEraser):
    """Rows of one SQLite file, changed in place (the file must exist; it is never created)."""

    dialect_class = SQLiteDialect
    options_class = SQLiteOptions
