"""Erasers for SQL databases: SQLite, PostgreSQL, MySQL/MariaDB (see :mod:`piiscan.connectors.erasers`).

An eraser opens its own read-write session (the scan connectors' sessions are read-only), built from the
same source string and options through the read connector's own URL, credential and error helpers, so the
password comes from the same places (``PGPASSWORD``/``~/.pgpass``, ``MYSQL_PWD``, ``password_env``) and is
never in :attr:`source` or in a message.

Items are table ids as the connectors name them (``schema.table``, ``database.table``, the SQLite table
name); rows are found by the locators the connectors produced: ``{"primary_key": {...}}``,
``{"unique_key": {...}}`` and SQLite's ``{"rowid": n}``.  Other locators (PostgreSQL's ``ctid``, rows
numbered in read order) do not name a row reliably, so their actions are left to a human.

A row's state is :func:`row_hash`: the keyed digest of every column's value as text (:func:`row_state`).
:meth:`~_SQLEraser.execute` runs one transaction per call (per 1,000 actions for longer calls) and one
savepoint per action: it locks the row (``SELECT ... FOR UPDATE``; SQLite takes the write lock with
``BEGIN IMMEDIATE``), compares its state with the plan, changes it, reads it back, and keeps the change
only when the row now has exactly the planned ``after`` state (a trigger or generated column that changes
the row further rolls the action back as ``failed``).  A constraint that refuses the change (a parent row
still referenced, a CHECK) fails that action alone.  Foreign keys are enforced on SQLite too, and deferred
PostgreSQL constraints are checked at each statement, so a violation fails its own action rather than the
commit.  A dry run takes no locks and issues no DELETE or UPDATE at all (its session is read-only), so it
cannot tell which changes a constraint would refuse.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote

from piiscan.connectors.base import SourceError
from piiscan.connectors.erasers import REDACTION, ROW_ACTIONS, ActionResult, Digest, EraseAction, Eraser, Inspection
from piiscan.connectors.formats.common import decode_lenient

#: Actions per transaction: one call's actions are applied in one transaction up to this many.
BATCH_ACTIONS = 1000
CHANGED = "row changed since the plan; re-plan"
_SAVEPOINT = "piiscan_erase"


# -- row state ------------------------------------------------------------------------------


def value_text(value: Any) -> str | None:
    """A column value as the text its state hash covers: None for NULL, hex for binary, else its text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (set, frozenset)):  # MySQL SET columns
        return ",".join(sorted(map(str, value)))
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return str(value)


def row_state(row: Mapping[str, Any]) -> bytes:
    """Canonical bytes of a row: ``{column: value_text}`` as compact JSON with sorted keys."""
    text = json.dumps(
        {name: value_text(v) for name, v in row.items()}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return text.encode("utf-8", "surrogateescape")  # lone surrogates only from undecodable SQL_ASCII text


def row_hash(digest: Digest, row: Mapping[str, Any]) -> str:
    """The keyed state hash of a row (``digest`` of :func:`row_state`)."""
    return digest(row_state(row))


# -- shared machinery -----------------------------------------------------------------------


class _Manual(Exception):
    """A table or action piiscan cannot erase safely; the message is the one-line reason (no data)."""


class _DBError(Exception):
    """A statement failed without ending the session; the message is a one-line reason (no data)."""


class _TransactionLost(Exception):
    """The transaction was rolled back as a whole (deadlock, failed rollback to a savepoint)."""


@dataclass(frozen=True)
class _Column:
    name: str
    not_null: bool
    text: bool  # can hold REDACTION (a text type long enough)
    key: bool  # part of the primary key
    type: str  # dialect type name, for comparing locator values


@dataclass(frozen=True)
class _Table:
    item: str
    qualified: str  # quoted name for SQL
    columns: tuple[_Column, ...]
    rowid: str | None = None  # SQLite: the rowid alias, when the table has one

    def column(self, name: str) -> _Column | None:
        return next((c for c in self.columns if c.name == name), None)


def _unstable(item: str) -> str:
    return f"rows of {item} have no stable key; erase by hand"


class _SQLEraser(Eraser):
    """The dialect-independent part: checks, state hashes, transactions and savepoints."""

    placeholder: ClassVar[str] = "%s"
    lock_clause: ClassVar[str] = " FOR UPDATE"

    def __init__(self, source: str, digest: Digest, **options: Any) -> None:
        super().__init__(source, digest, **options)
        self._conn: Any = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.source!r})"

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for key in state:
            if key.startswith("_conn"):
                state[key] = None
        return state

    # -- dialect hooks ---------------------------------------------------------------------

    @abstractmethod
    def _connect(self) -> Any:
        """A new read-write session; SourceError when the source cannot be reached."""

    def _statement(self, sql: str, params: Sequence[Any], fetch: bool) -> Any:
        """Run one statement on the session: its rows when ``fetch``, else its row count (raw driver errors).
        Connections with an ``execute`` method (sqlite3, psycopg 3) run it there; others override this."""
        cursor = self._conn.execute(sql, list(params))
        return cursor.fetchall() if fetch else cursor.rowcount

    @abstractmethod
    def _reason(self, exc: BaseException) -> str:
        """One line naming a driver error, without row values or passwords."""

    @abstractmethod
    def _fatal(self, exc: BaseException) -> bool:
        """Whether a driver error ended the session (then the source is unusable)."""

    @abstractmethod
    def _describe(self, item: str) -> _Table:
        """The table's columns; _Manual when it is not a table piiscan can erase in."""

    @abstractmethod
    def _select(self, column: _Column) -> str:
        """SQL reading a column's value for the state hash."""

    @abstractmethod
    def _match(self, column: _Column, value: Any) -> tuple[str, list[Any]]:
        """SQL condition (and parameters) comparing a column with a locator's JSON value."""

    @abstractmethod
    def _begin(self, write: bool) -> None:
        """Start a transaction: read-write with row locks, or read-only for a dry run."""

    def _end(self, commit: bool) -> None:
        self._exec("COMMIT" if commit else "ROLLBACK")

    def _close_connection(self) -> None:
        self._conn.close()

    # -- session ---------------------------------------------------------------------------

    def _connection(self) -> Any:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # closing a broken session must not fail the caller
                self._close_connection()
            self._conn = None

    def _call(self, sql: str, params: Sequence[Any], fetch: bool) -> Any:
        conn = self._connection()
        try:
            return self._statement(sql, params, fetch)
        except Exception as exc:
            if not isinstance(exc, self._errors()):
                raise
            reason = self._reason(exc)
            if self._conn is conn and self._fatal(exc):
                self.close()
                raise SourceError(f"{self.source}: {reason}") from None
            raise _DBError(reason) from None

    def _errors(self) -> tuple[type[BaseException], ...]:
        return (Exception,)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._call(sql, params, True))

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._call(sql, params, False)

    # -- checks ----------------------------------------------------------------------------

    def _table(self, item: str) -> _Table:
        try:
            return self._describe(item)
        except _DBError as exc:
            raise _Manual(f"cannot read the definition of {item}: {exc}") from None

    def _problem(self, table: _Table, action: EraseAction) -> str | None:
        """Why an action cannot be done by piiscan (one line), or None."""
        item = table.item
        if action.action not in ROW_ACTIONS:
            return f"{action.action} is not an action on rows of {item}; erase by hand"
        locator = action.locator
        if not isinstance(locator, dict) or len(locator) != 1:
            return _unstable(item)
        ((kind, value),) = locator.items()
        if kind == "rowid":
            if table.rowid is None or not isinstance(value, int) or isinstance(value, bool):
                return _unstable(item)
            key_columns: set[str] = set()
        elif kind in ("primary_key", "unique_key") and isinstance(value, dict) and value:
            if any(table.column(name) is None for name in value):
                return f"the locator of a row of {item} names a column the table does not have; re-plan"
            key_columns = set(value)
        else:
            return _unstable(item)
        if action.action == "redact_cells":
            for span in action.spans:
                column = table.column(span.field or "")
                if column is None:
                    return f"a shared value of {item} is not a plain column (a JSON path?); erase by hand"
                if not column.text or column.key or column.name in key_columns:
                    return f"column {column.name} of {item} is shared and not free text; erase by hand"
                if not 0 <= span.start < span.end:
                    return f"a span in column {column.name} of {item} is empty; re-scan and re-plan"
            if not action.spans and not action.columns:
                return f"nothing to clear in {item}"
        if action.action in ("null_columns", "redact_cells"):
            if not action.columns and action.action == "null_columns":
                return f"no columns to clear in {item}"
            for name in action.columns:
                column = table.column(name)
                if column is None:
                    return f"column {name} of {item} does not exist; re-plan"
                if column.key or name in key_columns:
                    return f"column {name} is part of the key of {item}; delete the row or erase by hand"
                if column.not_null and not column.text:
                    return f"column {name} of {item} is NOT NULL and not text; erase by hand"
        return None

    def _where(self, table: _Table, locator: dict[str, Any]) -> tuple[str, list[Any]]:
        ((kind, value),) = locator.items()
        if kind == "rowid":
            return f"{table.rowid} = {self.placeholder}", [value]
        conditions, params = [], []
        for name, v in value.items():
            column = table.column(name)
            assert column is not None  # checked by _problem
            sql, args = self._match(column, v)
            conditions.append(sql)
            params += args
        return " AND ".join(conditions), params

    def _state(self, table: _Table, where: str, params: list[Any], lock: bool) -> tuple[str | None, dict | None]:
        """(state hash, row) of the row ``where`` locates; (None, None) when there is none."""
        columns = ", ".join(self._select(c) for c in table.columns)
        sql = f"SELECT {columns} FROM {table.qualified} WHERE {where}{self.lock_clause if lock else ''}"
        rows = self._query(sql, params)
        if len(rows) > 1:
            raise _DBError(f"the locator matches {len(rows)} rows of {table.item}")
        if not rows:
            return None, None
        row = {c.name: v for c, v in zip(table.columns, rows[0], strict=True)}
        return row_hash(self.digest, row), row

    def _expected(self, table: _Table, action: EraseAction, row: dict[str, Any]) -> str | None:
        if action.action == "delete_row":
            return None
        return row_hash(self.digest, dict(row) | self._new_values(table, action, row))

    @staticmethod
    def _new_values(table: _Table, action: EraseAction, row: dict[str, Any]) -> dict[str, Any]:
        """Column -> new value of a clearing action: NULL (REDACTION in a NOT NULL column) for the subject's
        columns; for a shared cell, its text with the subject's spans replaced by REDACTION and every other
        character kept.  _DBError when a span does not fit the cell as it is now."""
        out: dict[str, Any] = {}
        for name in action.columns:
            column = table.column(name)
            out[name] = REDACTION if column is not None and column.not_null else None
        by_column: dict[str, list[tuple[int, int]]] = {}
        for span in action.spans:
            by_column.setdefault(span.field or "", []).append((span.start, span.end))
        for name, spans in by_column.items():
            value = row.get(name)
            if not isinstance(value, str) or max(end for _, end in spans) > len(value):
                raise _DBError(f"a shared value in column {name} of {table.item} is not the text scanned; re-plan")
            merged: list[list[int]] = []
            for start, end in sorted(spans):
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            for start, end in reversed(merged):
                value = value[:start] + REDACTION + value[end:]
            out[name] = value
        return out

    # -- inspect ---------------------------------------------------------------------------

    def inspect(self, item: str, actions: Sequence[EraseAction]) -> dict[str, Inspection]:
        self._connection()
        try:
            table = self._table(item)
        except _Manual as exc:
            return {a.action_id: Inspection(None, None, str(exc)) for a in actions}
        out = {}
        for action in actions:
            problem = self._problem(table, action)
            if problem is not None:
                out[action.action_id] = Inspection(None, None, problem)
                continue
            where, params = self._where(table, action.locator or {})
            try:
                before, row = self._state(table, where, params, lock=False)
            except _DBError as exc:
                out[action.action_id] = Inspection(None, None, f"cannot read a row of {item}: {exc}")
                continue
            try:
                after = None if row is None else self._expected(table, action, row)
            except _DBError as exc:
                out[action.action_id] = Inspection(None, None, str(exc))
                continue
            out[action.action_id] = Inspection(before, after)
        return out

    # -- execute ---------------------------------------------------------------------------

    def execute(self, item: str, actions: Sequence[EraseAction], dry_run: bool = False) -> list[ActionResult]:
        self._connection()
        try:
            table = self._table(item)
        except _Manual as exc:
            return [ActionResult(a.action_id, "failed", detail=str(exc)) for a in actions]
        results: list[ActionResult] = []
        for start in range(0, len(actions), BATCH_ACTIONS):
            results += self._batch(table, actions[start : start + BATCH_ACTIONS], dry_run)
        return results

    def _batch(self, table: _Table, actions: Sequence[EraseAction], dry_run: bool) -> list[ActionResult]:
        """The actions in one transaction (rolled back for a dry run)."""
        try:
            self._begin(write=not dry_run)
        except _DBError as exc:
            return [ActionResult(a.action_id, "failed", detail=f"{table.item}: {exc}") for a in actions]
        results: list[ActionResult] = []
        try:
            for action in actions:
                results.append(self._one(table, action, dry_run))
            self._end(commit=not dry_run)
        except (_TransactionLost, _DBError) as exc:
            self._abandon()
            return self._lost(table, actions, results, str(exc))
        except BaseException:
            self._abandon()
            raise
        return results

    def _abandon(self) -> None:
        """Roll the transaction back after an error; a session that cannot even do that is closed."""
        if self._conn is None:
            return  # the session is gone, and its transaction with it
        try:
            self._end(commit=False)
        except (_DBError, SourceError):
            self.close()

    def _lost(
        self, table: _Table, actions: Sequence[EraseAction], results: list[ActionResult], reason: str
    ) -> list[ActionResult]:
        """Results of a transaction rolled back as a whole: nothing it did remains."""
        detail = f"{table.item}: transaction rolled back: {reason}"
        out = [
            ActionResult(r.action_id, "failed", r.before, None, detail) if r.outcome == "done" else r for r in results
        ]
        return out + [ActionResult(a.action_id, "failed", detail=detail) for a in actions[len(results) :]]

    def _one(self, table: _Table, action: EraseAction, dry_run: bool) -> ActionResult:
        aid = action.action_id
        problem = self._problem(table, action)
        if problem is not None:
            return ActionResult(aid, "failed", detail=problem)
        where, params = self._where(table, action.locator or {})
        self._exec(f"SAVEPOINT {_SAVEPOINT}")
        before: str | None = None
        try:
            before, row = self._state(table, where, params, lock=not dry_run)
            if row is None:
                result = (
                    ActionResult(aid, "already_done", detail="row already deleted")
                    if action.action == "delete_row"
                    else ActionResult(aid, "refused", detail="row no longer exists; re-plan")
                )
            elif before == action.after:
                result = ActionResult(aid, "already_done", before, before)
            elif before != action.before:
                result = ActionResult(aid, "refused", before, detail=CHANGED)
            elif dry_run:
                result = ActionResult(aid, "dry_run", before, action.after)
            else:
                result = self._change(table, action, where, params, before, row)
        except _DBError as exc:
            verb = "delete a row of" if action.action == "delete_row" else "clear values of"
            result = ActionResult(aid, "failed", before, detail=f"cannot {verb} {table.item}: {exc}")
        if result.outcome == "done":
            self._exec(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        else:
            self._undo()
        return result

    def _change(
        self, table: _Table, action: EraseAction, where: str, params: list[Any], before: str, row: dict[str, Any]
    ) -> ActionResult:
        if action.action == "delete_row":
            count = self._exec(f"DELETE FROM {table.qualified} WHERE {where}", params)
        else:
            sets, values = [], []
            for name, value in self._new_values(table, action, row).items():
                if value is None:
                    sets.append(f"{self._quote(name)} = NULL")
                else:
                    sets.append(f"{self._quote(name)} = {self.placeholder}")
                    values.append(value)
            count = self._exec(f"UPDATE {table.qualified} SET {', '.join(sets)} WHERE {where}", values + params)
        after, _ = self._state(table, where, params, lock=False)
        if count != 1 or after != action.after:
            detail = f"{table.item}: the row after the change does not match the plan (a trigger?); rolled back"
            return ActionResult(action.action_id, "failed", before, None, detail)
        return ActionResult(action.action_id, "done", before, after)

    def _undo(self) -> None:
        """Roll back to the action's savepoint (nothing of it remains)."""
        try:
            self._exec(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            self._exec(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        except _DBError as exc:
            raise _TransactionLost(str(exc)) from None

    @staticmethod
    @abstractmethod
    def _quote(name: str) -> str:
        """A quoted identifier, safe in a statement run with parameters."""


# -- SQLite ---------------------------------------------------------------------------------


class SQLiteEraser(_SQLEraser):
    """Rows of one SQLite file, changed in place (the file must exist; it is never created).

    Options: ``lock_timeout_s`` (how long to wait for another writer, default 5); others are ignored.
    """

    placeholder = "?"
    lock_clause = ""

    def __init__(self, source: str, digest: Digest, **options: Any) -> None:
        from piiscan.connectors.sqlite import SQLiteConnector

        super().__init__(source, digest, **options)
        self._reader = SQLiteConnector(source)  # path parsing and table helpers (never its read-only session)
        self.source = self._reader.source
        self.lock_timeout_s = float(options.get("lock_timeout_s") or 5)

    @staticmethod
    def _quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def _connect(self) -> sqlite3.Connection:
        path = self._reader.path
        if not path.is_file():
            raise SourceError(f"{self.source}: does not exist or is not a file")
        try:
            conn = sqlite3.connect(
                f"file:{quote(path.as_posix())}?mode=rw",
                uri=True,
                timeout=self.lock_timeout_s,
                isolation_level=None,  # transactions are explicit
                check_same_thread=False,
            )
            conn.execute("PRAGMA foreign_keys = ON")  # off by default: erasure must respect foreign keys
        except sqlite3.Error as exc:
            raise SourceError(f"{self.source}: {self._reason(exc)}") from None
        conn.text_factory = decode_lenient
        return conn

    def _close_connection(self) -> None:
        self._reader._conn = None
        self._conn.close()

    def _errors(self) -> tuple[type[BaseException], ...]:
        return (sqlite3.Error,)

    def _reason(self, exc: BaseException) -> str:
        lines = str(exc).strip().splitlines()
        return f"SQLite error: {lines[0] if lines else type(exc).__name__}"

    def _fatal(self, exc: BaseException) -> bool:
        return type(exc) is sqlite3.DatabaseError  # "file is not a database" and the like; not a constraint

    def _describe(self, item: str) -> _Table:
        kind = self._query("SELECT type FROM sqlite_master WHERE name = ?", [item])
        if not kind or kind[0][0] != "table":
            raise _Manual(f"table {item} does not exist")
        # cid, name, type, notnull, default, pk, hidden (1 = hidden column of a virtual table)
        info = [r for r in self._query("SELECT * FROM pragma_table_xinfo(?)", [item]) if r[6] != 1]
        columns = tuple(
            _Column(name, bool(notnull), _sqlite_text(declared or ""), pk > 0, declared or "")
            for _, name, declared, notnull, _, pk, _ in info
        )
        self._reader._conn = self._conn  # its helpers query the session they are given
        try:
            rowid = self._reader._rowid_alias(item, {c.name.lower() for c in columns})
        except sqlite3.Error as exc:
            raise _DBError(self._reason(exc)) from None
        return _Table(item, self._quote(item), columns, rowid)

    def _select(self, column: _Column) -> str:
        return self._quote(column.name)

    def _match(self, column: _Column, value: Any) -> tuple[str, list[Any]]:
        if value is None:
            return f"{self._quote(column.name)} IS NULL", []
        return f"{self._quote(column.name)} = ?", [value]

    def _begin(self, write: bool) -> None:
        if write:
            self._exec("BEGIN IMMEDIATE")  # the write lock: no one changes a row between its check and its change
        else:
            self._exec("PRAGMA query_only = ON")
            self._exec("BEGIN")

    def _end(self, commit: bool) -> None:
        try:
            self._exec("COMMIT" if commit else "ROLLBACK")
        finally:
            if not commit and self._conn is not None:
                self._exec("PRAGMA query_only = OFF")


def _sqlite_text(declared: str) -> bool:
    """TEXT affinity (SQLite's rules): the type names CHAR, CLOB or TEXT and not INT."""
    upper = declared.upper()
    return "INT" not in upper and any(word in upper for word in ("CHAR", "CLOB", "TEXT"))


# -- PostgreSQL -----------------------------------------------------------------------------

# name, type for casts, base type name and category (domains resolved), declared length, NOT NULL, in the primary key
_PG_COLUMNS_SQL = """
SELECT a.attname, format_type(a.atttypid, NULL), d.typname, d.typcategory::text,
       CASE WHEN d.typname IN ('varchar', 'bpchar') AND a.atttypmod > 4 THEN a.atttypmod - 4 END,
       a.attnotnull,
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary
                                          AND a.attnum = ANY(i.indkey::int2[]))
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type d ON d.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""


class PostgresEraser(_SQLEraser):
    """Rows of one PostgreSQL database.

    Options: ``password_env``, ``statement_timeout_s`` (300), ``lock_timeout_s`` (5: how long to wait for a
    row another session holds); others (scan-wide ones such as ``include``) are ignored.
    """

    def __init__(self, source: str, digest: Digest, **options: Any) -> None:
        from piiscan.connectors.postgres import PostgresConnector

        super().__init__(source, digest, **options)
        self._reader = PostgresConnector(
            source,
            password_env=options.get("password_env"),
            statement_timeout_s=float(options.get("statement_timeout_s") or 300),
            lock_timeout_s=float(options.get("lock_timeout_s") or 5),
        )
        self.source = self._reader.source

    @staticmethod
    def _quote(name: str) -> str:
        from piiscan.connectors.postgres import _ident

        return _ident(name)

    def _connect(self) -> Any:
        import psycopg

        conn = self._reader._connection()  # the connector's session set-up (timeouts, encoding, UTC, ISO dates)
        self._reader._conn = None  # ours now: the connector never hands it out as a read-only session again
        try:
            # read-write, and the user's search_path back for triggers and constraints that rely on it
            conn.execute("SET default_transaction_read_only = off")
            conn.execute("RESET search_path")
            conn.execute("SET application_name = 'piiscan-erase'")
        except psycopg.Error as exc:
            conn.close()
            raise SourceError(f"{self.source}: {self._reader._connect_reason(exc)}") from None
        return conn

    def _errors(self) -> tuple[type[BaseException], ...]:
        import psycopg

        return (psycopg.Error,)

    def _reason(self, exc: BaseException) -> str:
        return self._reader._error_reason(exc)  # the primary message only: DETAIL lines may quote values

    def _fatal(self, exc: BaseException) -> bool:
        return self._conn is None or self._conn.closed or self._conn.broken

    def _describe(self, item: str) -> _Table:
        from piiscan.connectors.postgres import _TABLE_SQL

        found = self._query(_TABLE_SQL, [item, ["r"]])
        if not found:
            raise _Manual(f"table {item} does not exist")
        if len(found) > 1:
            raise _Manual(f"table name {item} is ambiguous (a schema or table name has a dot); erase by hand")
        oid, _, qualified, _ = found[0]
        columns = tuple(
            _Column(name, not_null, category == "S" and (length is None or length >= len(REDACTION)), key, type_)
            for name, type_, base, category, length, not_null, key in self._query(_PG_COLUMNS_SQL, [oid])
        )
        return _Table(item, qualified.replace("%", "%%"), columns)

    def _select(self, column: _Column) -> str:
        return f"{self._quote(column.name)}::text"  # the server's own text form: stable for every type

    def _match(self, column: _Column, value: Any) -> tuple[str, list[Any]]:
        name = self._quote(column.name)
        if value is None:
            return f"{name} IS NULL", []
        if column.type == "bytea" and isinstance(value, str):
            return f"{name} = decode(%s, 'hex')", [value]
        # the value in the column's own type: "2024-01-02 03:04:05+00:00" (str of a datetime) is a timestamptz
        return f"{name} = CAST(%s AS {column.type.replace('%', '%%')})", [value]

    def _begin(self, write: bool) -> None:
        if write:
            self._exec("BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE")
            self._exec("SET CONSTRAINTS ALL IMMEDIATE")  # a deferred violation fails its action, not the commit
        else:
            self._exec("BEGIN READ ONLY")


# -- MySQL / MariaDB ------------------------------------------------------------------------

_MY_TEXT_TYPES = frozenset({"char", "varchar", "tinytext", "text", "mediumtext", "longtext"})
_MY_BINARY_TYPES = frozenset({"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"})
#: Storage engines that roll back: a savepoint undoes an action, a transaction is atomic.
_MY_TRANSACTIONAL = frozenset({"INNODB", "ROCKSDB", "TOKUDB", "NDBCLUSTER", "NDB"})
#: Write errors whose server message names only objects (columns, constraints, tables), never row values:
#: column cannot be null, data too long, FK parent/child, check constraint (MySQL, MariaDB), deadlock.
_MY_SAFE_WRITE_CODES = frozenset({1048, 1406, 1451, 1452, 3819, 4025, 1213})
#: Client errors that mean the session is gone.
_MY_LOST = frozenset({2006, 2013, 2055})


class MySQLEraser(_SQLEraser):
    """Rows of a MySQL or MariaDB server (InnoDB and other transactional tables only).

    Options: ``password_env``, ``statement_timeout_s`` (300), ``lock_timeout_s`` (5); others are ignored.
    """

    def __init__(self, source: str, digest: Digest, **options: Any) -> None:
        from piiscan.connectors.mysql import MySQLConnector

        super().__init__(source, digest, **options)
        self.lock_timeout_s = float(options.get("lock_timeout_s") or 5)
        self._reader = MySQLConnector(
            source,
            password_env=options.get("password_env"),
            statement_timeout_s=options.get("statement_timeout_s", 300),
            lock_timeout_s=self.lock_timeout_s,
        )
        self.source = self._reader.source
        self._conn_pid: int | None = None

    @staticmethod
    def _quote(name: str) -> str:
        from piiscan.connectors.mysql import _ident

        return _ident(name)

    def _connection(self) -> Any:
        if self._conn is not None and self._conn_pid != os.getpid():
            self._conn = None  # inherited through fork: the parent's session
        if self._conn is None:
            self._conn = self._connect()
            self._conn_pid = os.getpid()
        return self._conn

    def _connect(self) -> Any:
        import pymysql

        conn = self._reader._connect()  # the connector's session set-up (timeouts, UTC), then made read-write
        try:
            with conn.cursor() as cursor:
                cursor.execute("SET SESSION TRANSACTION READ WRITE")
                cursor.execute(f"SET SESSION innodb_lock_wait_timeout = {max(1, round(self.lock_timeout_s))}")
        except (pymysql.MySQLError, OSError) as exc:
            conn._force_close()
            raise SourceError(f"{self.source}: session set-up failed: {self._reason(exc)}") from None
        return conn

    def _close_connection(self) -> None:
        conn = self._conn
        if self._conn_pid == os.getpid():
            conn.close()
        self._reader.close()

    def _errors(self) -> tuple[type[BaseException], ...]:
        import pymysql

        return (pymysql.MySQLError, OSError)

    def _statement(self, sql: str, params: Sequence[Any], fetch: bool) -> Any:
        with self._conn.cursor() as cursor:
            count = cursor.execute(sql, tuple(params))
            return list(cursor.fetchall()) if fetch else count

    def _reason(self, exc: BaseException) -> str:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        if code in _MY_SAFE_WRITE_CODES and len(exc.args) > 1:
            lines = str(exc.args[1]).strip().splitlines()
            text = f"MySQL error {code}: {lines[0] if lines else ''}"
            try:
                password = self._reader._password()
            except SourceError:
                password = ""
            return text.replace(password, "***") if password else text
        return self._reader._reason(exc)

    def _fatal(self, exc: BaseException) -> bool:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        return isinstance(exc, OSError) or code in _MY_LOST or self._conn is None or not self._conn.open

    def _describe(self, item: str) -> _Table:
        from piiscan.connectors.mysql import Unreadable, _same_table

        try:
            schema, name = self._reader._split(item)
        except Unreadable as exc:
            raise _Manual(f"{item}: {exc}") from None
        except Exception as exc:  # the connector asks the server when a name has several dots
            if isinstance(exc, self._errors()):
                raise _DBError(self._reason(exc)) from None
            raise
        rows = _same_table(
            self._query(
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
            raise _Manual(f"table {item} does not exist or is not visible to this account")
        schema, name, engine, kind = rows[0][0], rows[0][1], rows[0][7], rows[0][8]
        if kind == "VIEW":
            raise _Manual(f"{item} is a view; erase in its tables")
        if (engine or "").upper() not in _MY_TRANSACTIONAL:
            raise _Manual(f"{item} uses the {engine} storage engine, which cannot roll back; erase by hand")
        columns = tuple(
            _Column(
                r[2],
                r[4] != "YES",
                (r[3] or "").lower() in _MY_TEXT_TYPES and (r[5] is None or r[5] >= len(REDACTION)),
                r[6] == "PRI",  # the primary key (or the unique key the server shows in its place)
                (r[3] or "").lower(),
            )
            for r in rows
        )
        return _Table(item, f"{self._quote(schema)}.{self._quote(name)}", columns)

    def _select(self, column: _Column) -> str:
        return self._quote(column.name)

    def _match(self, column: _Column, value: Any) -> tuple[str, list[Any]]:
        name = self._quote(column.name)
        if value is None:
            return f"{name} IS NULL", []
        if column.type in _MY_BINARY_TYPES and isinstance(value, str):
            return f"{name} = UNHEX(%s)", [value]
        return f"{name} = %s", [value]

    def _begin(self, write: bool) -> None:
        self._exec("START TRANSACTION READ WRITE" if write else "START TRANSACTION READ ONLY")
