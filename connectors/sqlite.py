"""SQLite databases, read-only: one item per table, rows as string batches.

The file is opened with ``mode=ro`` (a scan never writes, and a missing file
is never created).  Rows are read with keyset pagination (``WHERE key > ?
ORDER BY key LIMIT n``), which stays fast deep into a table, unlike OFFSET,
and needs no long-held read transaction.  Rowid tables page by rowid (the
table's own order, and always unique and non-null); their locators use the
primary key when there is one, else ``{"rowid": n}`` from a hidden
``__rowid__`` column.  WITHOUT ROWID tables page by their primary key.

An item's fingerprint is ``"{rows}:{max rowid}:{mtime_ns}"``, where mtime_ns
is the newest of the database file and its -wal file: coarse (any write to
the database changes every table's fingerprint) but it never misses an
update in place, which row counts and max rowid alone would.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyarrow as pa

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
from piiscan.connectors.formats.common import decode_lenient, failure_reason

BATCH_ROWS = 50_000
HIDDEN_ROWID = "__rowid__"
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


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _text(value: Any) -> str | None:
    """Scanned values are text; blobs are not scanned."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return None
    return str(value)


@dataclass(frozen=True)
class _Table:
    name: str
    scanned: tuple[str, ...]  # columns read as text (declared BLOB columns are skipped)
    key: tuple[str, ...]  # primary-key columns in key order
    rowid: str | None  # an alias of the rowid not shadowed by a column; None if there is none
    integer_key: bool  # a single INTEGER primary key: splittable into ranges
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def order(self) -> tuple[str, ...]:
        """SQL expressions to page by."""
        return (self.rowid,) if self.rowid else tuple(_quote(k) for k in self.key)

    def select_list(self) -> list[str]:
        """rowid (if any), key columns, scanned columns — in this order in every row."""
        return [*((self.rowid,) if self.rowid else ()), *map(_quote, self.key), *map(_quote, self.scanned)]


class SQLiteConnector(Connector):
    """Tables of one SQLite file.  Options: ``include_views`` (default False)."""

    schemes = ("sqlite",)

    def __init__(self, url: str, *, include_views: bool = False) -> None:
        super().__init__(url, include_views=include_views)
        self.include_views = include_views
        self.path = Path(os.path.abspath(os.path.expanduser(sqlite_path(url))))
        self._conn: sqlite3.Connection | None = None

    @property
    def source(self) -> str:
        return "sqlite:///" + self.path.as_posix()

    def item_identity(self, item_id: str) -> str:
        """The database file's resolved real path and the table: the same table whether the database was
        named as a source or found in a scanned folder, through whatever link."""
        return f"sqlite://{os.path.realpath(self.path)}\x1f{item_id}"

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            if not self.path.exists():
                raise SourceError(f"{self.source}: does not exist")
            if not self.path.is_file():
                raise SourceError(f"{self.source}: not a file")
            uri = f"file:{quote(self.path.as_posix())}?mode=ro"
            try:
                conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
                conn.execute("PRAGMA query_only = ON")
            except sqlite3.Error as exc:
                raise SourceError(f"{self.source}: {_one_line(exc)}") from None
            conn.text_factory = decode_lenient  # invalid UTF-8 in a TEXT value must not fail the table
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- enumerate ------------------------------------------------------------

    def enumerate(self) -> Iterator[ItemRef | ItemProblem]:
        conn = self._connection()
        kinds = ("table", "view") if self.include_views else ("table",)
        try:
            names = conn.execute(
                f"SELECT name, type FROM sqlite_master WHERE type IN ({','.join('?' * len(kinds))})"
                r" AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name",
                kinds,
            ).fetchall()
            (page_count,) = conn.execute("PRAGMA page_count").fetchone()
            (page_size,) = conn.execute("PRAGMA page_size").fetchone()
        except sqlite3.Error as exc:
            raise SourceError(f"{self.source}: {_one_line(exc)}") from None
        try:
            mtime_ns = self._mtime_ns()
        except OSError as exc:
            raise SourceError(f"{self.source}: {failure_reason(exc)}") from None
        stored = self._stored_sizes(conn)
        counted: list[tuple[str, str, int, int | None]] = []
        for name, kind in names:
            try:
                rows, max_rowid = self._count(name)
            except sqlite3.Error as exc:
                yield ItemProblem(name, "failed", f"SQLite error: {_one_line(exc)}", source=self.source)
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
            yield ItemRef(
                source=self.source,
                item_id=name,
                fmt="table",
                size=size,
                fingerprint=f"{rows}:{'' if max_rowid is None else max_rowid}:{mtime_ns}",
                mtime=mtime_ns / 1e9,
                rows=rows,
            )

    def _count(self, name: str) -> tuple[int, int | None]:
        conn = self._connection()
        table = self._table(name)
        if table.rowid:
            rows, max_rowid = conn.execute(f"SELECT COUNT(*), MAX({table.rowid}) FROM {_quote(name)}").fetchone()
            return rows, max_rowid
        return conn.execute(f"SELECT COUNT(*) FROM {_quote(name)}").fetchone()[0], None

    def _stored_sizes(self, conn: sqlite3.Connection) -> dict[str, int] | None:
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

    def _table(self, name: str) -> _Table:
        conn = self._connection()
        # cid, name, type, notnull, default, pk, hidden (1 = hidden column of a virtual table)
        info = [row for row in conn.execute("SELECT * FROM pragma_table_xinfo(?)", (name,)) if row[6] != 1]
        if not info:
            raise sqlite3.OperationalError(f"no such table: {name}")
        key_info = sorted((row for row in info if row[5] > 0), key=lambda row: row[5])
        key = tuple(row[1] for row in key_info)
        scanned = tuple(row[1] for row in info if "BLOB" not in (row[2] or "").upper())
        integer_key = len(key_info) == 1 and (key_info[0][2] or "").strip().upper() == "INTEGER"
        rowid = self._rowid_alias(name, {row[1].lower() for row in info})
        extra = tuple(fk for fk in self.extra_foreign_keys if fk.table == name)
        return _Table(name, scanned, key, rowid, integer_key, self._table_foreign_keys(name) + extra)

    def inferred_foreign_keys(self) -> list[ForeignKey]:
        """Same-named ``*_id`` columns whose values all exist in another table's key (one anti-join each)."""
        conn = self._connection()
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            info = {t: list(conn.execute("SELECT * FROM pragma_table_info(?)", (t,))) for t in tables}
        except sqlite3.Error as exc:
            raise SourceError(f"{self.source}: {_one_line(exc)}") from None
        columns = {t: tuple(row[1] for row in rows) for t, rows in info.items()}
        keys = {t: tuple(row[1] for row in sorted(rows, key=lambda r: r[5]) if row[5] > 0) for t, rows in info.items()}

        def contained(fk: ForeignKey) -> bool | None:
            (column,), (ref_column,) = fk.columns, fk.ref_columns
            names = (_quote(fk.table), _quote(column), _quote(fk.ref_table), _quote(ref_column))
            sql = relationships.containment_sql(*names)
            try:
                some, all_found = conn.execute(sql).fetchone()
            except sqlite3.Error:
                return None
            return bool(some and all_found)

        return relationships.infer(columns, keys, self.foreign_keys(), contained)

    def foreign_keys(self) -> list[ForeignKey]:
        """Declared foreign keys of every table (SQLite's are unnamed: ``<table>_fk<n>``)."""
        conn = self._connection()
        try:
            tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            names = [row[0] for row in tables]
            return [fk for name in names for fk in self._table_foreign_keys(name)]
        except sqlite3.Error as exc:
            raise SourceError(f"{self.source}: {_one_line(exc)}") from None

    def _table_foreign_keys(self, name: str) -> tuple[ForeignKey, ...]:
        """``PRAGMA foreign_key_list``: a NULL target column means the parent's primary key."""
        conn = self._connection()
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
            kind = "primary_key" if is_key else None
            if kind:  # spell the targets as the parent's key columns (the locator's names)
                by_lower = {k.lower(): k for k in parent_key}
                targets = tuple(by_lower[t.lower()] for t in targets)
            out.append(ForeignKey(f"{name}_fk{fk_id}", name, columns, parent, targets, kind))
        return tuple(out)

    def _rowid_alias(self, name: str, columns: set[str]) -> str | None:
        """``rowid`` (or ``_rowid_``/``oid`` if a column shadows it); None for views
        (their rowid is NULL) and WITHOUT ROWID tables."""
        kind = self._connection().execute("SELECT type FROM sqlite_master WHERE name = ?", (name,)).fetchone()
        if kind is None or kind[0] != "table":
            return None
        for alias in _ROWID_ALIASES:
            if alias not in columns:
                try:
                    self._connection().execute(f"SELECT {alias} FROM {_quote(name)} LIMIT 0")
                except sqlite3.OperationalError:
                    return None  # WITHOUT ROWID table or view
                return alias
        return None

    # -- plan -----------------------------------------------------------------

    def plan(self, item: ItemRef, unit_bytes: int) -> list[WorkUnit]:
        """Integer ranges of the rowid (or single INTEGER key) when the table is bigger
        than ``unit_bytes``; the first and last range are open-ended."""
        parts = table_parts(item, unit_bytes)
        if parts <= 1 or (item.rows or 0) < 2:
            return [WorkUnit(item)]
        try:
            table = self._table(item.item_id)
            column = table.rowid or (_quote(table.key[0]) if table.integer_key else None)
            if column is None:
                return [WorkUnit(item)]
            sql = f"SELECT MIN({column}), MAX({column}) FROM {_quote(item.item_id)}"  # O(1) on a key
            low, high = self._connection().execute(sql).fetchone()
        except (sqlite3.Error, SourceError):
            return [WorkUnit(item)]
        return key_range_units(item, parts, low, high)  # one unit if empty or the INTEGER key holds other types

    # -- current and fetch (DSAR export) ---------------------------------------

    def current(self, item_id: str) -> ItemRef | ItemProblem | None:
        """One table's live fingerprint (as :meth:`enumerate` makes it) without counting every table."""
        kinds = ("table", "view") if self.include_views else ("table",)
        try:
            conn = self._connection()
            kind = conn.execute("SELECT type FROM sqlite_master WHERE name = ?", (item_id,)).fetchone()
            if kind is None or kind[0] not in kinds or item_id.startswith("sqlite_"):
                return None
            rows, max_rowid = self._count(item_id)
            mtime_ns = self._mtime_ns()
            stored = conn.execute("SELECT SUM(pgsize) FROM dbstat WHERE name = ?", (item_id,)).fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "dbstat" not in str(exc):
                return ItemProblem(item_id, "failed", f"SQLite error: {_one_line(exc)}", source=self.source)
            stored = None
        except (sqlite3.Error, SourceError, OSError) as exc:
            reason = str(exc) if isinstance(exc, SourceError) else f"cannot read: {type(exc).__name__}"
            return ItemProblem(item_id, "failed", reason, source=self.source)
        return ItemRef(
            source=self.source,
            item_id=item_id,
            fmt="table",
            size=int(stored or 0),
            fingerprint=f"{rows}:{'' if max_rowid is None else max_rowid}:{mtime_ns}",
            mtime=mtime_ns / 1e9,
            rows=rows,
        )

    def fetch(
        self, item_id: str, locators: list[dict[str, Any]], key: LocatorKey | None = None
    ) -> Iterator[FetchedRecord | ItemProblem]:
        """Rows by primary key or rowid, ``FETCH_BATCH`` at a time (``WHERE key IN (...)``); locators of
        another kind (a view's row numbers, a masked key value) through the default full read."""
        key = key or locator_json
        try:
            table = self._table(item_id)
        except (sqlite3.Error, SourceError) as exc:
            reason = str(exc) if isinstance(exc, SourceError) else f"SQLite error: {_one_line(exc)}"
            yield ItemProblem(item_id, "failed", reason, source=self.source)
            return
        wanted = {locator_json(loc): loc for loc in locators}
        lookups = [("rowid", table.rowid, key_values(locators, "rowid", ()))] if table.rowid else []
        if table.key:
            lookups.append(("primary_key", None, key_values(locators, "primary_key", table.key)))
        done: set[str] = set()
        try:
            for kind, rowid, values in lookups:
                columns = (rowid,) if rowid else tuple(map(_quote, table.key))
                for start in range(0, len(values), FETCH_BATCH):
                    part = values[start : start + FETCH_BATCH]
                    row = f"({', '.join('?' * len(columns))})"
                    target = columns[0] if len(columns) == 1 else f"({', '.join(columns)})"
                    sql = (
                        f"SELECT {', '.join(table.select_list())} FROM {_quote(table.name)}"
                        f" WHERE {target} IN (VALUES {', '.join([row] * len(part))})"
                    )
                    rows = self._connection().execute(sql, [v for value in part for v in value]).fetchall()
                    if rows:
                        for record in matching_records(self._batch(table, rows), item_id, wanted, key):
                            done.add(locator_json(record.locator))
                            yield record
                # asked for by this kind: looked up, found or not
                done |= {locator_json({kind: v[0] if rowid else dict(zip(table.key, v, strict=True))}) for v in values}
        except (sqlite3.Error, SourceError) as exc:
            reason = str(exc) if isinstance(exc, SourceError) else f"SQLite error: {_one_line(exc)}"
            yield ItemProblem(item_id, "failed", reason, source=self.source)
            return
        rest = [loc for text, loc in wanted.items() if text not in done]
        if rest:
            yield from super().fetch(item_id, rest, key)

    # -- read -----------------------------------------------------------------

    def read(self, unit: WorkUnit) -> Iterator[ReadResult]:
        item = unit.item
        try:
            table = self._table(item.item_id)
            if not table.rowid and not table.key:
                yield from self._read_unkeyed(table)
                return
            for rows in self._pages(table, unit):
                yield self._batch(table, rows)
        except (sqlite3.Error, SourceError) as exc:
            reason = str(exc) if isinstance(exc, SourceError) else f"SQLite error: {_one_line(exc)}"
            yield ItemProblem(item.item_id, "failed", reason, source=self.source, size=item.size)

    def _pages(self, table: _Table, unit: WorkUnit) -> Iterator[list[tuple[Any, ...]]]:
        """Pages of rows in key order within the unit's range (keyset pagination)."""
        order = table.order
        bounds, params = [], []
        if unit.start is not None:
            bounds.append(f"{order[0]} >= ?")
            params.append(unit.start)
        if unit.stop is not None:
            bounds.append(f"{order[0]} < ?")
            params.append(unit.stop)
        select = f"SELECT {', '.join(table.select_list())} FROM {_quote(table.name)}"
        after = f"({', '.join(order)}) > ({', '.join('?' * len(order))})"
        last: tuple[Any, ...] = ()
        while True:
            where = [*bounds, after] if last else bounds
            sql = f"{select}{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY {', '.join(order)} LIMIT ?"
            rows = self._connection().execute(sql, [*params, *last, BATCH_ROWS]).fetchall()
            if rows:
                yield rows
            if len(rows) < BATCH_ROWS:
                return
            last = rows[-1][: len(order)]

    def _batch(self, table: _Table, rows: list[tuple[Any, ...]]) -> TableBatch:
        columns = list(zip(*rows, strict=True))
        offset = 1 if table.rowid else 0
        keys = [list(c) for c in columns[offset : offset + len(table.key)]]
        scanned = columns[offset + len(table.key) :]
        names = list(table.scanned)
        arrays = [pa.array([_text(v) for v in values], type=pa.string()) for values in scanned]
        hidden: tuple[str, ...] = ()
        if table.rowid:
            hidden_name = HIDDEN_ROWID
            while hidden_name in names:
                hidden_name += "_"
            names.insert(0, hidden_name)
            arrays.insert(0, pa.array(columns[0], type=pa.int64()))
            hidden = (hidden_name,)
        batch = pa.RecordBatch.from_arrays(arrays, names=names)
        native = dict(zip(table.key, keys, strict=True)) | {
            c: list(v) for c, v in zip(table.scanned, scanned, strict=True) if c not in table.key
        }
        fks = tuple(fk for fk in table.foreign_keys if all(c in native for c in fk.columns))
        refs = {"foreign_keys": fks, "fk_values": tuple([native[c] for c in fk.columns] for fk in fks)}
        if table.key and not (table.rowid and any(None in values for values in keys)):
            # native key values (ints stay ints) for locators; the scanned copies are text
            return TableBatch(batch, key_columns=table.key, hidden_columns=hidden, _key_values=keys, **refs)
        if table.key:  # rowid tables allow NULL in a non-INTEGER primary key: not a usable locator
            note = "primary key has NULLs: rows located by rowid"
            return TableBatch(batch, key_columns=hidden, key_kind="rowid", hidden_columns=hidden, key_note=note, **refs)
        return TableBatch(batch, key_columns=hidden, key_kind="rowid", hidden_columns=hidden, **refs)

    def _read_unkeyed(self, table: _Table) -> Iterator[TableBatch]:
        """Views (and tables whose rowid every alias shadows): one query, rows numbered in order."""
        if not table.scanned:
            return
        cursor = self._connection().execute(f"SELECT {', '.join(map(_quote, table.scanned))} FROM {_quote(table.name)}")
        row = 1
        while rows := cursor.fetchmany(BATCH_ROWS):
            columns = list(zip(*rows, strict=True))
            arrays = [pa.array([_text(v) for v in values], type=pa.string()) for values in columns]
            batch = pa.RecordBatch.from_arrays(arrays, names=list(table.scanned))
            yield TableBatch(batch, first_row=row, key_note="no key: rows numbered in query order")
            row += len(rows)
