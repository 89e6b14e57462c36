"""The eraser of every SQL database (see :mod:`piiscan.connectors.erasers`), through the same
:class:`~piiscan.connectors.sql.dialect.Dialect` and :class:`~piiscan.connectors.sql.schema.TableSchema`
the connector reads with.

An eraser opens its own read-write session (the connector's sessions are read-only), built from the same
source string and options by the dialect, so the password comes from the same places
(``PGPASSWORD``/``~/.pgpass``, ``MYSQL_PWD``, ``password_env``) and is never in :attr:`source` or in a
message.

Items are table ids as the connectors name them (``schema.table``, ``database.table``, the SQLite table
name); rows are found by the locators the connectors produced: ``{"primary_key": {...}}``,
``{"unique_key": {...}}`` and SQLite's ``{"rowid": n}``.  Other locators (PostgreSQL's ``ctid``, rows
numbered in read order) do not name a row reliably, so their actions are left to a human.

A row's state is :func:`row_hash`: the keyed digest of every column's value as text (:func:`row_state`).
:meth:`~SQLEraser.execute` runs one transaction per call (per 1,000 actions for longer calls) and one
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
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from piiscan.connectors.base import ConnectorOptions, SourceError
from piiscan.connectors.erasers import REDACTION, ROW_ACTIONS, ActionResult, Digest, EraseAction, Eraser, Inspection
from piiscan.connectors.sql.dialect import Dialect
from piiscan.connectors.sql.schema import TableSchema, Unreadable

#: Actions per transaction: one call's actions are applied in one transaction up to this many.
BATCH_ACTIONS = 1000
CHANGED = "row changed since the plan; re-plan"
_SAVEPOINT = "piiscan_erase"
_T = TypeVar("_T")


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


# -- the eraser ----------------------------------------------------------------------------------


class _Manual(Exception):
    """A table or action piiscan cannot erase safely; the message is the one-line reason (no data)."""


class _DBError(Exception):
    """A statement failed without ending the session; the message is a one-line reason (no data)."""


class _TransactionLost(Exception):
    """The transaction was rolled back as a whole (deadlock, failed rollback to a savepoint)."""


def _unstable(item: str) -> str:
    return f"rows of {item} have no stable key; erase by hand"


class SQLEraser(Eraser):
    """Rows of one database, changed through :attr:`dialect_class` with :attr:`options_class` options
    (the scan-wide ones it does not take, such as ``include``, are ignored)."""

    dialect_class: ClassVar[type[Dialect[Any]]]
    options_class: ClassVar[type[ConnectorOptions]]

    def __init__(self, source: str, digest: Digest, **options: Any) -> None:
        super().__init__(source, digest, **options)
        names = self.options_class.names()
        self._settings = self.options_class(**{k: v for k, v in options.items() if k in names and v is not None})
        self._url, self._url_password = self.dialect_class.split_url(source)
        self._conn: Any = None
        self._conn_pid: int | None = None
        self.source = self.dialect.source

    @property
    def dialect(self) -> Dialect[Any]:
        """The dialect, built on first use (and after unpickling) from the source and options."""
        dialect = self.__dict__.get("_dialect")
        if dialect is None:
            dialect = self.__dict__["_dialect"] = self.dialect_class(self._url, self._settings, self._url_password)
        return dialect

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.source!r})"

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_dialect", None)
        for key in state:
            if key.startswith("_conn"):
                state[key] = None
        return state

    # -- session ---------------------------------------------------------------------------------

    def _connection(self) -> Any:
        if self._conn is not None and self._conn_pid != os.getpid():
            self._conn = None  # inherited through fork: the parent's session
        if self._conn is None:
            self._conn = self.dialect.connect(write=True)
            self._conn_pid = os.getpid()
        return self._conn

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and self._conn_pid == os.getpid():
            with contextlib.suppress(Exception):  # closing a broken session must not fail the caller
                self.dialect.close(conn)

    def _call(self, sql: str, params: Sequence[Any], fetch: bool) -> Any:
        if fetch:
            return self._run(lambda conn: self.dialect.query(conn, sql, params))
        return self._run(lambda conn: self.dialect.execute(conn, sql, params))

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._call(sql, params, True))

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self._call(sql, params, False))

    # -- checks ----------------------------------------------------------------------------------

    def _table(self, item: str) -> TableSchema:
        conn = self._connection()
        try:
            table = self.dialect.describe(conn, item, views=False)
        except Unreadable as exc:
            raise _Manual(str(exc)) from None
        except self.dialect.errors as exc:
            if self._conn is conn and self.dialect.fatal(conn, exc):
                self.close()
                raise SourceError(f"{self.source}: {self.dialect.reason(exc)}") from None
            raise _Manual(f"cannot read the definition of {item}: {self.dialect.reason(exc)}") from None
        manual = self.dialect.erasable(table)
        if manual is not None:
            raise _Manual(manual)
        return table

    def _problem(self, table: TableSchema, action: EraseAction) -> str | None:
        """Why an action cannot be done by piiscan (one line), or None."""
        item = table.item_id
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
                if not column.text or column.primary or column.name in key_columns:
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
                if column.primary or name in key_columns:
                    return f"column {name} is part of the key of {item}; delete the row or erase by hand"
                if column.not_null and not column.text:
                    return f"column {name} of {item} is NOT NULL and not text; erase by hand"
        return None

    def _where(self, table: TableSchema, locator: dict[str, Any]) -> tuple[str, list[Any]]:
        ((kind, value),) = locator.items()
        if kind == "rowid":
            return f"{table.rowid} = {self.dialect.placeholder}", [value]
        conditions, params = [], []
        for name, v in value.items():
            column = table.column(name)
            assert column is not None  # checked by _problem
            sql, args = self.dialect.match(column, v)
            conditions.append(sql)
            params += args
        return " AND ".join(conditions), params

    def _state(
        self, table: TableSchema, where: str, params: list[Any], lock: bool
    ) -> tuple[str | None, dict[str, Any] | None]:
        """(state hash, row) of the row ``where`` locates; (None, None) when there is none."""
        columns = ", ".join(self.dialect.state_select(c) for c in table.columns)
        sql = f"SELECT {columns} FROM {table.qualified} WHERE {where}{self.dialect.lock_clause if lock else ''}"
        rows = self._query(sql, params)
        if len(rows) > 1:
            raise _DBError(f"the locator matches {len(rows)} rows of {table.item_id}")
        if not rows:
            return None, None
        row = {c.name: v for c, v in zip(table.columns, rows[0], strict=True)}
        return row_hash(self.digest, row), row

    def _expected(self, table: TableSchema, action: EraseAction, row: dict[str, Any]) -> str | None:
        if action.action == "delete_row":
            return None
        return row_hash(self.digest, dict(row) | self._new_values(table, action, row))

    @staticmethod
    def _new_values(table: TableSchema, action: EraseAction, row: dict[str, Any]) -> dict[str, Any]:
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
                raise _DBError(f"a shared value in column {name} of {table.item_id} is not the text scanned; re-plan")
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

    # -- inspect ---------------------------------------------------------------------------------

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

    # -- execute ---------------------------------------------------------------------------------

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

    def _begin(self, write: bool) -> None:
        self._run(lambda conn: self.dialect.begin(conn, write))

    def _end(self, commit: bool) -> None:
        self._run(lambda conn: self.dialect.end(conn, commit))

    def _run(self, step: Callable[[Any], _T]) -> _T:
        """One statement or transaction step on the session: a driver error that ended the session is a
        SourceError (the source is unusable), any other a _DBError (that action fails)."""
        conn = self._connection()
        try:
            return step(conn)
        except self.dialect.errors as exc:
            reason = self.dialect.write_reason(exc)
            if self._conn is conn and self.dialect.fatal(conn, exc):
                self.close()
                raise SourceError(f"{self.source}: {reason}") from None
            raise _DBError(reason) from None

    def _batch(self, table: TableSchema, actions: Sequence[EraseAction], dry_run: bool) -> list[ActionResult]:
        """The actions in one transaction (rolled back for a dry run)."""
        try:
            self._begin(write=not dry_run)
        except _DBError as exc:
            return [ActionResult(a.action_id, "failed", detail=f"{table.item_id}: {exc}") for a in actions]
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
        self, table: TableSchema, actions: Sequence[EraseAction], results: list[ActionResult], reason: str
    ) -> list[ActionResult]:
        """Results of a transaction rolled back as a whole: nothing it did remains."""
        detail = f"{table.item_id}: transaction rolled back: {reason}"
        out = [
            ActionResult(r.action_id, "failed", r.before, None, detail) if r.outcome == "done" else r for r in results
        ]
        return out + [ActionResult(a.action_id, "failed", detail=detail) for a in actions[len(results) :]]

    def _one(self, table: TableSchema, action: EraseAction, dry_run: bool) -> ActionResult:
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
            result = ActionResult(aid, "failed", before, detail=f"cannot {verb} {table.item_id}: {exc}")
        if result.outcome == "done":
            self._exec(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        else:
            self._undo()
        return result

    def _change(
        self,
        table: TableSchema,
        action: EraseAction,
        where: str,
        params: list[Any],
        before: str | None,
        row: dict[str, Any],
    ) -> ActionResult:
        if action.action == "delete_row":
            count = self._exec(f"DELETE FROM {table.qualified} WHERE {where}", params)
        else:
            sets, values = [], []
            for name, value in self._new_values(table, action, row).items():
                if value is None:
                    sets.append(f"{self.dialect.quote(name)} = NULL")
                else:
                    sets.append(f"{self.dialect.quote(name)} = {self.dialect.placeholder}")
                    values.append(value)
            count = self._exec(f"UPDATE {table.qualified} SET {', '.join(sets)} WHERE {where}", values + params)
        after, _ = self._state(table, where, params, lock=False)
        if count != 1 or after != action.after:
            detail = f"{table.item_id}: the row after the change does not match the plan (a trigger?); rolled back"
            return ActionResult(action.action_id, "failed", before, None, detail)
        return ActionResult(action.action_id, "done", before, after)

    def _undo(self) -> None:
        """Roll back to the action's savepoint (nothing of it remains)."""
        try:
            self._exec(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            self._exec(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        except _DBError as exc:
            raise _TransactionLost(str(exc)) from None
