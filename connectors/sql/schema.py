"""What a SQL dialect reads off its catalog about one table: the one description that reading, fetching
and erasing all use (so the eraser never re-runs a catalog query of its own)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from piiscan.connectors.base import ConnectorOptions, ForeignKey

#: How rows are located when the table has no usable key: SQLite's rowid, PostgreSQL's ctid (not stable
#: across VACUUM FULL and updates), or numbered in query order.
Fallback = Literal["rowid", "ctid", "row"]


class Unreadable(Exception):
    """A table cannot be read or changed as asked (gone, invisible, ambiguous, changed since planning);
    the message is a one-line reason without data values."""


@dataclass(frozen=True)
class Column:
    """One column as the dialect's catalog describes it."""

    name: str
    #: the dialect's type name (PostgreSQL's for casts, MySQL's DATA_TYPE, SQLite's declared type)
    type: str
    #: the base type: domains resolved, arrays to their element type (PostgreSQL); else ``type``
    base: str = ""
    #: the account may SELECT it
    readable: bool = True
    #: read as text and scanned (binary and spatial types are not)
    scanned: bool = True
    not_null: bool = False
    #: a text type long enough to hold the erasure placeholder in a NOT NULL column
    text: bool = False
    #: part of the primary key (or of the unique key the server shows in its place)
    primary: bool = False
    #: JSON text, scanned field by field (column + JSON path)
    json: bool = False


@dataclass(frozen=True)
class TableSchema:
    """One table (or view): how to name it in SQL, its columns, and how its rows are located."""

    item_id: str
    #: the quoted name for SQL ("schema"."table")
    qualified: str
    columns: tuple[Column, ...]
    #: locator key columns in key order: the primary key, else a unique key on NOT NULL columns; () if none
    key: tuple[str, ...] = ()
    #: "primary_key" or "unique_key" (the locator's kind) when ``key`` is set
    key_kind: str = "primary_key"
    #: how rows are located without a usable key
    fallback: Fallback = "row"
    #: SQLite: an alias of the rowid not shadowed by a column (rowid tables page by it); None otherwise
    rowid: str | None = None
    is_view: bool = False
    #: the storage engine where the dialect has several (MySQL), else ""
    engine: str = ""
    foreign_keys: tuple[ForeignKey, ...] = ()
    #: splittable into ranges: the single key column (or the rowid) holds integers
    integer_key: bool = False

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def scanned(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.scanned and c.readable)

    @property
    def readable(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns if c.readable)

    @property
    def json_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.json and c.scanned and c.readable]


@dataclass(frozen=True)
class ServerOptions(ConnectorOptions):
    """The options every database server takes (a file database such as SQLite takes fewer)."""

    include: tuple[str, ...] = field(default=(), metadata={"doc": "glob patterns on table names to scan"})
    exclude: tuple[str, ...] = field(default=(), metadata={"doc": "glob patterns on table names to skip"})
    include_views: bool = field(default=False, metadata={"doc": "scan views too"})
    password_env: str | None = field(
        default=None, metadata={"doc": "name of the environment variable holding the password (read at connect)"}
    )
    lock_timeout_s: float = field(default=5, metadata={"doc": "seconds to wait for a lock"})
    batch_rows: int = field(default=10_000, metadata={"doc": "rows read per query"})
