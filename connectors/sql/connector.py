"""One connector for every SQL database: tables as items, rows as Arrow batches, read with keyset
pagination through a :class:`~piiscan.connectors.sql.dialect.Dialect`.

Rows are read in key order, ``batch_rows`` at a time (``WHERE key > last ORDER BY key LIMIT n``), which
stays fast deep into a table, unlike OFFSET, and holds no long read transaction: each page is its own
short statement.  A table with a single integer key (or SQLite's rowid) larger than a work unit is
split into key ranges.  A table with no usable key is streamed once, in one read-only transaction, its
rows located by the dialect's fallback (rowid, ctid) or numbered in query order.

Each batch holds the scanned columns as text (JSON columns split into one field per path), the key read
natively for locators (ints stay ints), and the values of the table's foreign keys, so the scanner
records which row each row references.  DSAR exports :meth:`~SQLConnector.fetch` rows back by key,
``FETCH_BATCH`` at a time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import pyarrow as pa

from piiscan.connectors import relationships
from piiscan.connectors.base import (
    FETCH_BATCH,
    Connector,
    ConnectorOptions,
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
from piiscan.connectors.sql.dialect import Dialect
from piiscan.connectors.sql.schema import TableSchema, Unreadable

HIDDEN_ROWID = "__rowid__"
HIDDEN_CTID = "__ctid__"
RANGE_CHANGED = "the table's key changed since the scan was planned"


class SQLConnector(Connector):
    """The tables of one database through its :attr:`dialect_class`.

    Connects lazily; a session inherited through ``fork`` is left to the parent and replaced; a session
    that died while idle is replaced by a new one set up the same way (never reconnected behind the
    dialect's read-only set-up).
    """

    dialect_class: ClassVar[type[Dialect[Any]]]

    def __init__(self, url: str, options: ConnectorOptions | None = None, **values: Any) -> None:
        url, url_password = self.dialect_class.split_url(url)
        super().__init__(url, options, **values)
        batch_rows = getattr(self.options, "batch_rows", 1)
        if batch_rows < 1:
            raise ValueError(f"batch_rows must be at least 1: {batch_rows}")
        #: the password the URL carried, kept out of ``url`` by connectors that strip it (MySQL)
        self._url_password = url_password
        self._conn: Any = None
        self._conn_pid: int | None = None

    @property
    def dialect(self) -> Dialect[Any]:
        """The dialect, built on first use (and after unpickling) from the URL and options."""
        dialect = self.__dict__.get("_dialect")
        if dialect is None:
            dialect = self.__dict__["_dialect"] = self.dialect_class(self.url, self.options, self._url_password)
        return dialect

    @property
    def source(self) -> str:
        return self.dialect.source

    @property
    def include(self) -> tuple[str, ...]:
        """Glob patterns on table names to scan (databases that take them)."""
        return tuple(getattr(self.options, "include", ()))

    @property
    def exclude(self) -> tuple[str, ...]:
        return tuple(getattr(self.options, "exclude", ()))

    @property
    def batch_rows(self) -> int:
        return int(getattr(self.options, "batch_rows", 10_000))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.source!r})"

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_dialect", None)  # rebuilt on use; it may hold a password taken from the URL
        return state

    # -- session ---------------------------------------------------------------------------------

    def _connection(self) -> Any:
        """The session, opened (read-only) on first use."""
        if self._conn is not None and (self._conn_pid != os.getpid() or not self.dialect.is_open(self._conn)):
            self._conn = None  # inherited through fork (the parent's), or closed after an error
        if self._conn is None:
            self._conn = self.dialect.connect()
            self._conn_pid = os.getpid()
        return self._conn

    def _session(self) -> Any:
        """The session at the start of an operation: one that died while idle is replaced first."""
        if self._conn is not None and self._conn_pid == os.getpid() and not self.dialect.alive(self._conn):
            self._drop(hard=True)
        return self._connection()

    def _drop(self, hard: bool = False) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and self._conn_pid == os.getpid():
            try:
                self.dialect.close(conn, hard)
            except Exception:
                if not hard:
                    self.dialect.close(conn, True)

    def _after_error(self, exc: BaseException) -> None:
        """Drop the session when the error left it unusable."""
        if self._conn is not None and self.dialect.broken(self._conn, exc):
            self._drop(hard=True)

    def _failures(self) -> tuple[type[BaseException], ...]:
        return (*self.dialect.errors, SourceError, Unreadable)

    def close(self) -> None:
        self._drop()

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.dialect.query(self._connection(), sql, params)

    # -- catalog ---------------------------------------------------------------------------------

    def enumerate(self) -> Iterator[ItemRef | ItemProblem]:
        conn = self._session()
        yield from self.dialect.items(conn)

    def current(self, item_id: str) -> ItemRef | ItemProblem | None:
        try:
            return self.dialect.current(self._session(), item_id)
        except self._failures() as exc:
            self._after_error(exc)
            return ItemProblem(item_id, "failed", self.dialect.failure(exc), source=self.source)

    def describe(self, item_id: str) -> TableSchema:
        """The table as the dialect's catalog describes it, with the foreign keys a scan follows (the
        declared ones whose columns the account can read, and :attr:`extra_foreign_keys`)."""
        return self.dialect.describe(self._connection(), item_id)

    def _followed_keys(self, table: TableSchema) -> tuple[ForeignKey, ...]:
        extra = [fk for fk in self.extra_foreign_keys if fk.table == table.item_id]
        readable = table.readable
        declared = self.dialect.foreign_keys(self._connection(), table)
        return tuple(fk for fk in [*declared, *extra] if set(fk.columns) <= readable)

    def foreign_keys(self) -> list[ForeignKey]:
        try:
            return self.dialect.foreign_keys(self._session())
        except SourceError:
            raise
        except self._failures() as exc:
            self._after_error(exc)
            raise SourceError(f"{self.source}: cannot list foreign keys: {self.dialect.failure(exc)}") from None

    def inferred_foreign_keys(self) -> list[ForeignKey]:
        """Same-named ``*_id`` columns whose values all exist in another table's primary key
        (:mod:`piiscan.connectors.relationships`; one read-only anti-join per candidate, under the
        dialect's statement timeout)."""
        try:
            conn = self._session()
            tables = {
                ref.item_id: self.dialect.describe(conn, ref.item_id)
                for ref in self.dialect.items(conn)
                if isinstance(ref, ItemRef)
            }
            declared = self.dialect.foreign_keys(conn)
        except SourceError:
            raise
        except self._failures() as exc:
            self._after_error(exc)
            raise SourceError(f"{self.source}: cannot infer relationships: {self.dialect.failure(exc)}") from None
        columns = {t: tuple(c.name for c in table.columns if c.readable) for t, table in tables.items()}
        keys = {t: table.key for t, table in tables.items() if table.key and table.key_kind == "primary_key"}
        quote = self.dialect.quote

        def contained(fk: ForeignKey) -> bool | None:
            table, ref = tables[fk.table], tables[fk.ref_table]
            sql = relationships.containment_sql(
                table.qualified, quote(fk.columns[0]), ref.qualified, quote(fk.ref_columns[0])
            )
            try:
                ((some, all_found),) = self._query(sql)
            except self.dialect.errors as exc:  # incomparable types, a timeout, no privilege: no suggestion
                self._after_error(exc)
                return None
            return bool(some and all_found)

        return relationships.infer(columns, keys, declared, contained)

    # -- plan ------------------------------------------------------------------------------------

    def plan(self, item: ItemRef, unit_bytes: int) -> list[WorkUnit]:
        """Ranges of the rowid or of a single integer key when the table is bigger than ``unit_bytes`` or
        has more than TABLE_UNIT_ROWS rows; the first and last range are open-ended.  Anything else (and
        a table the catalog cannot describe now: :meth:`read` reports it) is one unit."""
        parts = table_parts(item, unit_bytes)
        if parts <= 1 or (self.dialect.exact_counts and (item.rows or 0) < 2):
            return [WorkUnit(item)]
        try:
            conn = self._session()
            table = self.dialect.describe(conn, item.item_id)
            if not table.integer_key:
                return [WorkUnit(item)]
            low, high = self.dialect.key_range(conn, table)
        except self._failures() as exc:
            self._after_error(exc)
            return [WorkUnit(item)]
        return key_range_units(item, parts, low, high)  # one unit if empty or the key holds other types

    # -- read ------------------------------------------------------------------------------------

    def read(self, unit: WorkUnit) -> Iterator[ReadResult]:
        item = unit.item
        try:
            self._session()
            table = self.describe(item.item_id)
            if not table.readable:
                raise Unreadable(f"permission denied: no SELECT privilege on {item.item_id}")
            if (unit.start is not None or unit.stop is not None) and not table.integer_key:
                raise Unreadable(RANGE_CHANGED)
            if not table.scanned:
                if self.dialect.skip_textless:
                    yield ItemProblem(item.item_id, "skipped", "no column holds text", source=self.source,
                                      size=item.size)  # fmt: skip
                return
            fks = self._followed_keys(table)
            native = list(dict.fromkeys([*table.key, *(c for fk in fks for c in fk.columns)]))
            if table.rowid or table.key:
                for rows in self._pages(table, native, unit):
                    yield self._batch(table, fks, native, rows, None)
            else:
                row = 1
                for rows in self.dialect.stream(self._connection(), self._select(table, native), self.batch_rows):
                    yield self._batch(table, fks, native, rows, row)
                    row += len(rows)
        except self._failures() as exc:
            self._after_error(exc)
            yield ItemProblem(item.item_id, "failed", self.dialect.failure(exc), source=self.source, size=item.size)

    def _select(self, table: TableSchema, native: Sequence[str]) -> str:
        """``SELECT`` the locator (rowid, ctid), the native key and foreign-key values, then the scanned
        columns as text, in this order in every row."""
        dialect, quote = self.dialect, self.dialect.quote
        lead = dialect.locator_expression(table)
        columns = [c for c in table.columns if c.name in table.scanned]
        # output columns get positional names: a column read twice (natively and as text) is not ambiguous
        parts = [
            *([f"{lead} AS l0"] if lead else []),
            *(f"{quote(name)} AS n{i}" for i, name in enumerate(native)),
            *(f"{dialect.select_text(column)} AS s{i}" for i, column in enumerate(columns)),
        ]
        return f"SELECT {', '.join(parts)} FROM {table.qualified}"

    def _pages(self, table: TableSchema, native: list[str], unit: WorkUnit) -> Iterator[list[tuple[Any, ...]]]:
        """Pages of rows in key order within the unit's range (keyset pagination, one statement each)."""
        dialect = self.dialect
        if table.rowid:  # rowid tables page by the rowid, read first in every row
            order, params, positions = [table.rowid], [dialect.placeholder], [0]
        else:
            key_columns = [table.column(k) for k in table.key]
            order = [dialect.quote(k) for k in table.key]
            params = [dialect.param(c) for c in key_columns if c is not None]
            positions = [native.index(k) for k in table.key]
        bounds, bound_values = [], []
        if unit.start is not None:
            bounds.append(f"{order[0]} >= {params[0]}")
            bound_values.append(unit.start)
        if unit.stop is not None:
            bounds.append(f"{order[0]} < {params[0]}")
            bound_values.append(unit.stop)
        select = self._select(table, native)
        last: list[Any] = []
        while True:
            where, values = list(bounds), list(bound_values)
            if last:
                condition, after_values = dialect.after(order, params, last)
                where.append(f"({condition})")
                values += after_values
            sql = f"{select}{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY {', '.join(order)}"
            rows = self._query(f"{sql} LIMIT {dialect.placeholder}", [*values, self.batch_rows])
            if rows:
                yield rows
            if len(rows) < self.batch_rows:
                return
            last = [rows[-1][i] for i in positions]

    def _batch(
        self,
        table: TableSchema,
        fks: Sequence[ForeignKey],
        native: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        first_row: int | None,
    ) -> TableBatch:
        conn, dialect = self._connection(), self.dialect
        columns = list(zip(*rows, strict=True))
        lead = 1 if dialect.locator_expression(table) else 0
        values = {name: dialect.native(conn, columns[lead + i]) for i, name in enumerate(native)}
        texts = columns[lead + len(native) :]
        names = list(table.scanned)
        arrays = [dialect.text_array(conn, column) for column in texts]
        references: dict[str, Any] = {
            "foreign_keys": tuple(fks),
            "fk_values": tuple([values[c] for c in fk.columns] for fk in fks),
        }
        hidden: tuple[str, ...] = ()
        if lead:  # the rowid or ctid, in a hidden column named apart from the table's own
            hidden_name = HIDDEN_ROWID if table.rowid else HIDDEN_CTID
            while hidden_name in names:
                hidden_name += "_"
            locators = list(columns[0])
            names.insert(0, hidden_name)
            arrays.insert(0, pa.array(locators, type=pa.int64() if table.rowid else pa.string()))
            hidden = (hidden_name,)
        batch = expand_json_columns(pa.RecordBatch.from_arrays(arrays, names=names), table.json_columns)
        keys = [values[k] for k in table.key]
        if table.key and not (table.rowid and any(None in column for column in keys)):
            # native key values (ints stay ints) for locators; the scanned copies are text
            return TableBatch(batch, key_columns=table.key, key_kind=table.key_kind, hidden_columns=hidden,
                              _key_values=keys, **references)  # fmt: skip
        if table.rowid:  # rowid tables allow NULL in a non-INTEGER primary key: not a usable locator
            note = "primary key has NULLs: rows located by rowid" if table.key else None
            return TableBatch(batch, key_columns=hidden, key_kind="rowid", hidden_columns=hidden, key_note=note,
                              **references)  # fmt: skip
        if hidden:
            return TableBatch(batch, key_columns=hidden, key_kind="ctid", row_locators=[{"ctid": v} for v in locators],
                              hidden_columns=hidden, key_note=dialect.keyless_note(table), **references)  # fmt: skip
        return TableBatch(batch, first_row=first_row, key_note=dialect.keyless_note(table), **references)

    # -- fetch (DSAR export) ---------------------------------------------------------------------

    def fetch(
        self, item_id: str, locators: list[dict[str, Any]], key: LocatorKey | None = None
    ) -> Iterator[FetchedRecord | ItemProblem]:
        """Rows by key (or SQLite's rowid), ``FETCH_BATCH`` at a time (``WHERE (k1, k2) IN (...)``, one
        short read-only statement each); other locators (ctid, row numbers, masked key values) through
        the default full read.  Values are read as :meth:`read` reads them (text, JSON split by path)."""
        key = key or locator_json
        wanted = {locator_json(loc): loc for loc in locators}
        done: set[str] = set()
        try:
            self._session()
            table = self.describe(item_id)
            native = list(table.key)
            lookups: list[tuple[str, list[str], list[str]]] = []
            if table.rowid:
                lookups.append(("rowid", [table.rowid], [self.dialect.placeholder]))
            if table.key:
                key_columns = [c for c in (table.column(k) for k in table.key) if c is not None]
                params = [self.dialect.param(c) for c in key_columns]
                lookups.append((table.key_kind, [self.dialect.quote(k) for k in table.key], params))
            for kind, columns, params in lookups:
                values = key_values(locators, kind, () if kind == "rowid" else table.key)
                for start in range(0, len(values), FETCH_BATCH):
                    part = values[start : start + FETCH_BATCH]
                    row = f"({', '.join(params)})"
                    sql = (
                        f"{self._select(table, native)} WHERE ({', '.join(columns)})"
                        f" IN ({self.dialect.values_prefix}{', '.join([row] * len(part))})"
                    )
                    rows = self._query(sql, [v for value in part for v in value])
                    if rows:
                        for record in matching_records(self._batch(table, [], native, rows, 1), item_id, wanted, key):
                            done.add(locator_json(record.locator))
                            yield record
                # asked for by this kind: looked up, found or not
                done |= {
                    locator_json({kind: v[0] if kind == "rowid" else dict(zip(table.key, v, strict=True))})
                    for v in values
                }
        except self._failures() as exc:
            self._after_error(exc)
            yield ItemProblem(item_id, "failed", self.dialect.failure(exc), source=self.source)
            return
        rest = [loc for text, loc in wanted.items() if text not in done]
        if rest:
            yield from super().fetch(item_id, rest, key)
