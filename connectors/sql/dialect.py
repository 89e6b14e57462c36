"""What differs between SQL databases, in one class per database: connecting (read-only for a scan,
read-write for an erasure), the catalog (items, table descriptions, foreign keys), how SQL is spelled
(quoting, placeholders, the keyset condition, reading a value as text) and what a driver's errors mean.

:class:`~piiscan.connectors.sql.connector.SQLConnector` and :class:`~piiscan.connectors.sql.eraser.SQLEraser`
hold the logic that is the same everywhere and call a :class:`Dialect` for the rest; adding a database
is one module with a Dialect subclass, its options and the two small classes naming it.

A dialect holds configuration only (the source's URL and options), never a connection: the connector
and the eraser own their sessions, so a connector pickles without one and an eraser's read-write session
is never handed to a scan.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, Generic, TypeVar

import pyarrow as pa

from piiscan.connectors.base import ConnectorOptions, ForeignKey, ItemProblem, ItemRef, SourceError
from piiscan.connectors.sql.schema import Column, TableSchema, Unreadable

#: the options dataclass of a dialect's source
OptionsT = TypeVar("OptionsT", bound=ConnectorOptions)


def first_line(text: str) -> str:
    """The first non-blank line of a message, stripped."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


class Dialect(ABC, Generic[OptionsT]):
    """One database's spelling of SQL, catalog and session handling, configured by ``OptionsT``."""

    #: what messages call the database ("SQLite", "PostgreSQL", "MySQL")
    name: ClassVar[str]
    #: the driver's parameter placeholder
    placeholder: ClassVar[str] = "%s"
    #: written before a list of rows in ``WHERE (k1, k2) IN (...)`` (SQLite wants ``VALUES``)
    values_prefix: ClassVar[str] = ""
    #: appended to the SELECT that locks a row before an erasure changes it
    lock_clause: ClassVar[str] = " FOR UPDATE"
    #: a table with no column holding text is reported as skipped (rather than read as nothing)
    skip_textless: ClassVar[bool] = False
    #: item row counts are exact (SQLite counts them): a table of fewer than two rows is never split
    exact_counts: ClassVar[bool] = False

    def __init__(self, url: str, options: OptionsT, url_password: str | None = None) -> None:
        self.url = url
        self.options = options
        self.url_password = url_password

    @classmethod
    def split_url(cls, url: str) -> tuple[str, str | None]:
        """The URL to keep (and pickle) and a password taken out of it; by default the URL as given."""
        return url, None

    # -- session ---------------------------------------------------------------------------------

    @property
    @abstractmethod
    def source(self) -> str:
        """The source as indexes and messages name it, without credentials."""

    @property
    @abstractmethod
    def errors(self) -> tuple[type[BaseException], ...]:
        """The driver's exceptions (what :meth:`reason` names)."""

    @abstractmethod
    def connect(self, write: bool = False) -> Any:
        """A new session, read-only unless ``write``; SourceError (one line, no password) when it fails."""

    def is_open(self, conn: Any) -> bool:
        """A cheap check, before each statement, that the session has not been closed."""
        return True

    def alive(self, conn: Any) -> bool:
        """Whether an idle session still answers (checked once per operation, e.g. a ping)."""
        return self.is_open(conn)

    def close(self, conn: Any, hard: bool = False) -> None:
        """End a session; ``hard``: without a goodbye or draining a result (the session is mid-stream)."""
        conn.close()

    @abstractmethod
    def reason(self, exc: BaseException) -> str:
        """One line naming a driver error, without data values or passwords."""

    def broken(self, conn: Any, exc: BaseException) -> bool:
        """Whether the session is unusable after ``exc`` (then it is closed and replaced)."""
        return not self.is_open(conn)

    def query(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of one statement."""
        return list(conn.execute(sql, list(params)).fetchall())

    def execute(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; its row count."""
        return int(conn.execute(sql, list(params)).rowcount)

    @abstractmethod
    def stream(self, conn: Any, sql: str, batch_rows: int) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of one SELECT over a table without a usable key, ``batch_rows`` at a time, in one
        read-only transaction; a stream stopped early leaves the session usable or closes it."""

    # -- catalog ---------------------------------------------------------------------------------

    @abstractmethod
    def items(self, conn: Any) -> Iterator[ItemRef | ItemProblem]:
        """Every table (and view, when the options ask for them) with its size and fingerprint.
        SourceError when the catalog cannot be read at all."""

    @abstractmethod
    def describe(self, conn: Any, item_id: str, *, views: bool = True) -> TableSchema:
        """One table's description (views too unless ``views`` is False); Unreadable when there is no
        such table or it cannot be read."""

    @abstractmethod
    def foreign_keys(self, conn: Any, table: TableSchema | None = None) -> list[ForeignKey]:
        """Declared foreign keys of one table, or of every listed table when ``table`` is None."""

    def current(self, conn: Any, item_id: str) -> ItemRef | ItemProblem | None:
        """One item as :meth:`items` lists it, or None when it is gone; the default lists them all."""
        return next((entry for entry in self.items(conn) if entry.item_id == item_id), None)

    def key_range(self, conn: Any, table: TableSchema) -> tuple[Any, Any]:
        """MIN and MAX of the column a table splits by (read off its index)."""
        column = table.rowid or self.quote(table.key[0])
        ((low, high),) = self.query(conn, f"SELECT MIN({column}), MAX({column}) FROM {table.qualified}")
        return low, high

    # -- SQL -------------------------------------------------------------------------------------

    @abstractmethod
    def quote(self, name: str) -> str:
        """A quoted identifier, safe in a statement run with parameters."""

    def param(self, column: Column) -> str:
        """The placeholder of a value compared with ``column`` (PostgreSQL casts it to the column's type,
        so the column's index is used)."""
        return self.placeholder

    def select_text(self, column: Column) -> str:
        """SQL reading a scanned column (PostgreSQL reads its server-side text form)."""
        return self.quote(column.name)

    def after(self, order: Sequence[str], params: Sequence[str], last: Sequence[Any]) -> tuple[str, list[Any]]:
        """The keyset condition "after the row whose ``order`` values are ``last``": a row comparison."""
        return f"({', '.join(order)}) > ({', '.join(params)})", list(last)

    def locator_expression(self, table: TableSchema) -> str | None:
        """SQL reading a keyless table's row locator (SQLite's rowid, PostgreSQL's ctid), read first."""
        return table.rowid

    def text_array(self, conn: Any, values: Sequence[Any]) -> pa.Array:
        """A scanned column's values as an Arrow string array (binary values become nulls)."""
        return pa.array([value if value is None or isinstance(value, str) else text_value(value) for value in values],
                        type=pa.string())  # fmt: skip

    def native(self, conn: Any, values: Sequence[Any]) -> list[Any]:
        """Key and foreign-key values as read (a hook for databases whose text needs decoding)."""
        return list(values)

    def keyless_note(self, table: TableSchema) -> str:
        """The note recorded with rows numbered in query order."""
        return "no key: rows numbered in query order"

    # -- erasure ---------------------------------------------------------------------------------

    def erasable(self, table: TableSchema) -> str | None:
        """Why piiscan cannot change rows of ``table`` (one line), or None."""
        return f"{table.item_id} is a view; erase in its tables" if table.is_view else None

    def state_select(self, column: Column) -> str:
        """SQL reading a column's value for a row's state hash."""
        return self.quote(column.name)

    def match(self, column: Column, value: Any) -> tuple[str, list[Any]]:
        """SQL condition (and parameters) comparing a column with a locator's JSON value."""
        name = self.quote(column.name)
        if value is None:
            return f"{name} IS NULL", []
        return f"{name} = {self.placeholder}", [value]

    @abstractmethod
    def begin(self, conn: Any, write: bool) -> None:
        """Start a transaction: read-write with row locks, or read-only for a dry run."""

    def end(self, conn: Any, commit: bool) -> None:
        self.execute(conn, "COMMIT" if commit else "ROLLBACK")

    def write_reason(self, exc: BaseException) -> str:
        """One line naming an error of a change (a refused constraint may be named)."""
        return self.reason(exc)

    def fatal(self, conn: Any, exc: BaseException) -> bool:
        """Whether an error during an erasure ended the session."""
        return self.broken(conn, exc)

    # -- shared by the subclasses ----------------------------------------------------------------

    def failure(self, exc: BaseException) -> str:
        """The reason of an error from this dialect, the connector's own exceptions included."""
        if isinstance(exc, (SourceError, Unreadable)):
            return str(exc)
        return self.reason(exc)


def text_value(value: Any) -> str | None:
    """A value read natively as the text scanned: binary is not text (None); the rest as ``str``."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return None
    return str(value)
