"""The small core every connector implements.

A connector is built from configuration only (a URL plus options) and connects
lazily, so it pickles across process boundaries.  It enumerates items, splits an
item into work units, and reads a unit as text chunks or Arrow record batches.
Problems with one item are *values* (:class:`ItemProblem`), never exceptions;
only a fatal source error (unreachable server, corrupt database, missing root)
raises :class:`SourceError`.
"""

from __future__ import annotations

import itertools
import json
import types
import typing
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Literal, Self

import pyarrow as pa

Severity = Literal["note", "skipped", "failed"]

#: Rows of a database table one work unit covers at most.  A worker holds a unit's findings and their
#: links until the unit is done (about 6 KB per row of a contact table with eight findings a row), so
#: units are bounded by rows as well as by bytes: 10,000 rows keep that near 60 MB.
TABLE_UNIT_ROWS = 10_000


def table_parts(item: ItemRef, unit_bytes: int) -> int:
    """How many work units a table item should be split into: by stored bytes and by rows."""
    return max(-(-item.size // max(1, unit_bytes)), -(-(item.rows or 0) // TABLE_UNIT_ROWS), 1)


def key_range_units(item: ItemRef, parts: int, low: Any, high: Any) -> list[WorkUnit]:
    """Up to ``parts`` units of an integer key's range ``low..high`` (from MIN/MAX), the first and last
    open-ended so rows added outside the range while planning are still read; one unit when the key
    is empty or not integer."""
    if not (isinstance(low, int) and isinstance(high, int)) or high <= low:
        return [WorkUnit(item)]
    parts = max(1, min(parts, high - low + 1, *([item.rows] if item.rows else [])))
    step = -(-(high - low + 1) // parts)
    cuts = [low + i * step for i in range(1, parts) if low + i * step <= high]
    bounds = [None, *cuts, None]
    return [
        WorkUnit(item, part=i, parts=len(bounds) - 1, start=start, stop=stop)
        for i, (start, stop) in enumerate(itertools.pairwise(bounds))
    ]


class SourceError(Exception):
    """A whole source cannot be scanned (missing root, corrupt database, ...).

    The message is one line, names the location and carries no personal data.
    """


@dataclass(frozen=True)
class ItemRef:
    """A stable reference to one scannable item of a source.

    ``item_id`` is the path relative to the source root for files, the table
    name for databases.  ``fingerprint`` changes whenever the content may have
    changed (mtime+size, ETag, table statistics) and drives incremental scans.
    ``fmt`` names the reader: text, csv, tsv, json, jsonl, parquet, table.
    ``compression`` is "gzip" or None.
    """

    source: str
    item_id: str
    fmt: str
    size: int
    fingerprint: str
    compression: str | None = None
    mtime: float | None = None
    rows: int | None = None


@dataclass(frozen=True)
class WorkUnit:
    """A slice of one item that one worker scans.

    ``start``/``stop`` are interpreted by the connector: byte offsets for
    line-oriented files, row-group indices for Parquet, key ranges for tables.
    ``None`` means the whole item.
    """

    item: ItemRef
    part: int = 0
    parts: int = 1
    start: int | None = None
    stop: int | None = None

    @property
    def unit_id(self) -> str:
        return f"{self.item.source}\x1f{self.item.item_id}\x1f{self.part}"

    @property
    def size(self) -> int:
        if self.start is not None and self.stop is not None and self.item.fmt not in ("parquet", "table"):
            return max(0, self.stop - self.start)
        return self.item.size // max(1, self.parts)


@dataclass(frozen=True)
class ItemProblem:
    """Something wrong with one item, reported as a value.

    ``note`` is informational (e.g. a legacy-encoding fallback), ``skipped``
    means the item was deliberately not scanned (binary, unsupported format,
    empty), ``failed`` means reading it went wrong (truncated, corrupt,
    permission denied).  ``reason`` is one line naming the problem, never
    personal data.
    """

    item_id: str
    severity: Severity
    reason: str
    source: str = ""
    size: int = 0


@dataclass
class TextChunk:
    """Consecutive lines of a text item.

    ``lines[i]`` is line number ``first_line + i`` (1-based) of the item, with
    the newline stripped.  ``field`` is set when the text comes from inside a
    structured item (e.g. an e-mail body later), else None.
    """

    lines: list[str]
    first_line: int
    field: str | None = None

    def locator(self, index: int) -> dict[str, Any]:
        return {"line": self.first_line + index}


@dataclass(frozen=True)
class ForeignKey:
    """A declared foreign key: rows of ``table`` reference rows of ``ref_table`` (item ids of one source).

    ``ref_kind`` is the locator kind of the referenced table's rows ("primary_key"
    or "unique_key") when ``ref_columns`` are exactly the columns that locate them,
    so a referencing row's values name the referenced row's locator; None when the
    key references other columns and cannot be followed from locators (recorded
    with the scan, not followed).
    """

    name: str
    table: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    ref_kind: str | None = "primary_key"

    @property
    def label(self) -> str:
        """``Invoice.CustomerId → Customer.CustomerId`` (composite keys in brackets)."""

        def side(table: str, columns: tuple[str, ...]) -> str:
            return f"{table}.{columns[0]}" if len(columns) == 1 else f"{table}.({', '.join(columns)})"

        return f"{side(self.table, self.columns)} → {side(self.ref_table, self.ref_columns)}"

    def target(self, values: list[Any]) -> dict[str, Any] | None:
        """The locator of the row that ``values`` (of ``columns``) reference; None if any is NULL or the key
        cannot be followed."""
        if self.ref_kind is None or any(v is None for v in values):
            return None
        return {self.ref_kind: {c: _jsonable(v) for c, v in zip(self.ref_columns, values, strict=True)}}

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "table": self.table,
            "columns": list(self.columns),
            "ref_table": self.ref_table,
            "ref_columns": list(self.ref_columns),
            "ref_kind": self.ref_kind,
            "label": self.label,
        }


@dataclass
class TableBatch:
    """Rows of a table-shaped item as an Arrow record batch.

    Each column is a field.  The locator of row ``i`` is, in order of
    preference: ``row_locators[i]`` when given (e.g. JSON paths), the values of
    ``key_columns`` as ``{key_kind: {col: value}}`` (``key_kind`` is
    "primary_key"; for a rowid it is "rowid" and the value is bare), or the
    1-based data row number ``{"row": first_row + i}``.
    Columns listed in ``hidden_columns`` serve only as locators and are not
    scanned (e.g. an added rowid).

    ``foreign_keys`` are the table's declared foreign keys and ``fk_values``
    their columns' native values (one list per column of each key, in batch row
    order), so the scanner can record which row each row references
    (:meth:`references`) for the subject footprint.
    """

    batch: pa.RecordBatch
    first_row: int | None = None
    key_columns: tuple[str, ...] = ()
    key_kind: str = "primary_key"
    row_locators: list[dict[str, Any]] | None = None
    hidden_columns: tuple[str, ...] = ()
    key_note: str | None = None
    _key_values: list[list[Any]] | None = field(default=None, repr=False)
    foreign_keys: tuple[ForeignKey, ...] = ()
    fk_values: tuple[list[list[Any]], ...] = ()

    def scan_columns(self) -> list[str]:
        return [n for n in self.batch.schema.names if n not in self.hidden_columns]

    def locator(self, index: int) -> dict[str, Any]:
        if self.row_locators is not None:
            return self.row_locators[index]
        if self.key_columns:
            if self._key_values is None:
                self._key_values = [self.batch.column(c).to_pylist() for c in self.key_columns]
            values = [_jsonable(col[index]) for col in self._key_values]
            if self.key_kind == "rowid":
                return {"rowid": values[0]}
            return {self.key_kind: dict(zip(self.key_columns, values, strict=True))}
        assert self.first_row is not None, "TableBatch needs first_row, key_columns or row_locators"
        return {"row": self.first_row + index}

    def references(self, index: int) -> list[tuple[ForeignKey, dict[str, Any]]]:
        """(foreign key, locator of the referenced row) for each key of row ``index`` that references one."""
        out = []
        for fk, columns in zip(self.foreign_keys, self.fk_values, strict=True):
            target = fk.target([values[index] for values in columns])
            if target is not None:
                out.append((fk, target))
        return out


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def locator_json(locator: dict[str, Any]) -> str:
    """Canonical JSON text of a locator (sorted keys, compact) for the index."""
    return json.dumps(locator, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class FetchedRecord:
    """One record of an item read back at request time (a DSAR export): a text line or a table row.

    ``locator`` is the wanted locator it answers, as given to :meth:`Connector.fetch`; ``text`` is
    the line of a text record (``field`` its field, if any), ``values`` the scanned columns of a row
    (``{column: text}``, ``None`` for NULL).  It holds personal data: it is never logged.
    """

    item_id: str
    locator: dict[str, Any]
    field: str | None = None
    text: str | None = None
    values: dict[str, Any] | None = None


#: how :meth:`Connector.fetch` compares a record's locator with the wanted ones: locator -> comparable text
LocatorKey = Callable[[dict[str, Any]], str]

#: wanted locators a SQL connector looks up in one ``WHERE key IN (...)`` query
FETCH_BATCH = 500


def matching_records(
    result: TextChunk | TableBatch, item_id: str, wanted: dict[str, dict[str, Any]], key: LocatorKey
) -> Iterator[FetchedRecord]:
    """The records of one read result whose ``key(locator)`` is in ``wanted`` (comparable text -> locator)."""
    if isinstance(result, TableBatch):
        rows: list[dict[str, Any]] | None = None
        for i in range(result.batch.num_rows):
            target = wanted.get(key(result.locator(i)))
            if target is None:
                continue
            if rows is None:  # converted once, when the batch holds a wanted row
                rows = result.batch.select(result.scan_columns()).to_pylist()
            yield FetchedRecord(item_id, target, values=rows[i])
        return
    for i, line in enumerate(result.lines):
        target = wanted.get(key(result.locator(i)))
        if target is not None:
            yield FetchedRecord(item_id, target, field=result.field, text=line)


def key_values(locators: list[dict[str, Any]], kind: str, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """The key values of the locators that name a row by ``kind`` over exactly ``columns`` with plain
    values (what a SQL connector can look up with ``WHERE key IN (...)``); others are left out."""
    out = []
    for locator in locators:
        value = locator.get(kind) if len(locator) == 1 else None
        if kind == "rowid" and isinstance(value, int) and not isinstance(value, bool):
            out.append((value,))
        elif isinstance(value, dict) and len(value) == len(columns) and set(value) == set(columns):
            values = tuple(value[c] for c in columns)
            if all(v is not None and isinstance(v, (int, float, str)) for v in values):
                out.append(values)
    return out


ReadResult = TextChunk | TableBatch | ItemProblem


_WRONG = object()  # what _checked returns for a value that does not fit its type


def _field_types(cls: type[ConnectorOptions]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in fields(cls)}


def _checked(value: Any, expected: Any) -> Any:
    """``value`` as a field of type ``expected`` holds it (lists as tuples), or _WRONG.  The types options
    use: bool, int, float, str, ``X | None``, ``tuple[str, ...]`` and Literal; anything else is not checked."""
    origin, args = typing.get_origin(expected), typing.get_args(expected)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for option in (a for a in args if a is not type(None)):
            checked = _checked(value, option)
            if checked is not _WRONG:
                return checked
        return _WRONG
    if origin is tuple:
        if value is None:
            return ()
        items = (value,) if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(v, str) for v in items):
            return _WRONG
        return tuple(items)
    if origin is Literal:
        return value if value in args else _WRONG
    if expected is bool:
        return value if isinstance(value, bool) else _WRONG
    if expected is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else _WRONG
    if expected is float:
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else _WRONG
    if expected is str:
        return value if isinstance(value, str) else _WRONG
    return value


def _kind(expected: Any) -> str:
    """How an error message and the docs name a field's type."""
    origin, args = typing.get_origin(expected), typing.get_args(expected)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_kind(a) for a in args if a is not type(None))
    if origin is tuple:
        return "a list of strings"
    if origin is Literal:
        return "one of " + ", ".join(map(str, args))
    names = {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}
    return names.get(expected, getattr(expected, "__name__", str(expected)))


class OptionError(ValueError):
    """A connector option with a value of the wrong kind, or not an option at all; one line, naming the
    option and never quoting its value (it may be a secret written in the wrong place)."""


@dataclass(frozen=True)
class OptionDoc:
    """One option as ``piiscan config`` and the docs describe it: name, kind, default and what it does."""

    name: str
    kind: str
    default: Any
    doc: str


@dataclass(frozen=True)
class ConnectorOptions:
    """A connector's settings besides its URL: a frozen, picklable dataclass whose fields (each documented in
    ``metadata["doc"]``) are the option names piiscan.toml and the command line accept for that source."""

    def __post_init__(self) -> None:
        """Check each value against its field's type, and normalise lists (a string or a list of strings for
        a ``tuple[str, ...]`` field, None for its empty default) to tuples, so options stay hashable."""
        for name, expected in _field_types(type(self)).items():
            value = _checked(getattr(self, name), expected)
            if value is _WRONG:
                raise OptionError(f"option '{name}' must be {_kind(expected)}")
            object.__setattr__(self, name, value)

    @classmethod
    def names(cls) -> frozenset[str]:
        """The option names this source takes."""
        return frozenset(f.name for f in fields(cls))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], where: str) -> Self:
        """The options from a piiscan.toml table or the command line; OptionError naming ``where`` (the source)
        and the option when one is unknown or of the wrong kind."""
        names = cls.names()
        for key in values:
            if key not in names:
                takes = ", ".join(sorted(names)) or "none"
                raise OptionError(f"{where}: unknown option '{key}' (takes {takes})")
        types_ = _field_types(cls)
        for key, value in values.items():
            if _checked(value, types_[key]) is _WRONG:
                raise OptionError(f"{where}.{key}: must be {_kind(types_[key])}")
        return cls(**values)

    @classmethod
    def describe(cls) -> list[OptionDoc]:
        """Every option with its kind, default and ``metadata["doc"]``: what help texts and docs show."""
        types_ = _field_types(cls)
        out = []
        for f in fields(cls):
            default = f.default if f.default is not MISSING else None
            if f.default_factory is not MISSING:
                default = f.default_factory()
            out.append(OptionDoc(f.name, _kind(types_[f.name]), default, f.metadata.get("doc", "")))
        return out


class Connector(ABC):
    """Base class of all connectors.

    Subclasses take configuration in ``__init__`` (the URL and their :attr:`options_class`) and must not
    open connections there; they connect on first use and drop connections when pickled (see
    ``__getstate__``).
    """

    #: URL schemes this connector handles, e.g. ("file",) or ("sqlite",)
    schemes: tuple[str, ...] = ()
    #: the options this connector takes (none by default)
    options_class: type[ConnectorOptions] = ConnectorOptions
    #: foreign keys to follow besides the declared ones (inferred ones, when the scan enables them);
    #: set before the connector is handed to workers, read when tables are read
    extra_foreign_keys: tuple[ForeignKey, ...] = ()

    def __init__(self, url: str, options: ConnectorOptions | None = None, **values: Any) -> None:
        """``options``, or an :attr:`options_class` built from ``values`` (TypeError for an unknown option,
        OptionError for a value of the wrong kind)."""
        self.url = url
        self.options = options if options is not None else self.options_class(**values)

    @property
    @abstractmethod
    def source(self) -> str:
        """Display/identity string of the source, with no credentials."""

    @abstractmethod
    def enumerate(self) -> Iterator[ItemRef | ItemProblem]:
        """All items of the source, plus problems met while listing.

        Raises SourceError only when the source as a whole is unusable.
        """

    def item_identity(self, item_id: str) -> str:
        """What the item *is*, however this source reaches it: the resolved real path of a local file or
        SQLite database, bucket and key of an object, server, share and path of an SMB file, server,
        database and table of a database server's table.

        Two sources that reach the same item (a folder and a file in it, nested folders, a database
        file in a scanned folder and named on its own) give it the same identity, so a scan reads it
        once.  It is compared in memory while planning, never stored (a path may name a person).
        Default: the source and the item id.
        """
        return f"{self.source}\x1f{item_id}"

    def plan(self, item: ItemRef, unit_bytes: int) -> list[WorkUnit]:
        """Split an item into work units of roughly ``unit_bytes``; default one."""
        return [WorkUnit(item)]

    @abstractmethod
    def read(self, unit: WorkUnit) -> Iterator[ReadResult]:
        """Read one unit as TextChunks or TableBatches.

        A problem while reading is yielded as an ItemProblem (and reading of
        that unit stops if it is severity "failed"); it is not raised.
        """

    def foreign_keys(self) -> list[ForeignKey]:
        """The source's declared foreign keys between its items (databases); none by default.

        Raises SourceError only when the source as a whole is unusable.
        """
        return []

    def current(self, item_id: str) -> ItemRef | ItemProblem | None:
        """The item as it is now (its live fingerprint), a problem reaching it, or None when it is gone.

        Used to tell whether an item changed since it was scanned (DSAR export, erasure).  The default
        enumerates the source; connectors override it with one cheap call (stat, HEAD, catalog query).
        """
        for entry in self.enumerate():
            if entry.item_id == item_id:
                return entry
        return None

    def fetch(
        self, item_id: str, locators: list[dict[str, Any]], key: LocatorKey | None = None
    ) -> Iterator[FetchedRecord | ItemProblem]:
        """The records of an item at ``locators`` as they are now (a DSAR export reads them back).

        ``key`` turns a record's locator into the text compared with the wanted ones (default
        :func:`locator_json`; an export passes the index's masked form).  The default reads the
        whole item as a scan does and keeps the wanted records (text lines, table rows with their
        scanned columns), stopping once all are found; SQL connectors look rows up by key.  A
        wanted locator no longer there is simply not yielded; problems are yielded as values.
        """
        key = key or locator_json
        wanted = {locator_json(loc): loc for loc in locators}
        if not wanted:
            return
        item = self.current(item_id)
        if not isinstance(item, ItemRef):
            yield item or ItemProblem(item_id, "failed", "item no longer exists", source=self.source)
            return
        found: set[str] = set()
        for unit in self.plan(item, 1 << 62):
            for result in self.read(unit):
                if isinstance(result, ItemProblem):
                    yield result
                    continue
                for record in matching_records(result, item_id, wanted, key):
                    found.add(locator_json(record.locator))
                    yield record
                if len(found) == len(wanted):
                    return

    def inferred_foreign_keys(self) -> list[ForeignKey]:
        """Undeclared relationships the data supports (:mod:`piiscan.connectors.relationships`); none by default."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook, deliberately not abstract
        """Release connections; the connector stays usable (reconnects lazily)."""

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for key in list(state):
            if key.startswith("_conn"):
                state[key] = None
        return state
