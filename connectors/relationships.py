"""Relationships nobody declared: same-named ``*_id`` columns whose values all exist in a key column.

Many application databases (and most MySQL ones on MyISAM, or built by ORMs
with constraints off) declare no foreign keys, yet ``orders.customer_id``
plainly points at ``customers.customer_id`` or ``customers.id``.  A candidate
is a column of one table named like another table's single-column primary key:

* the same name, when that key is itself named ``<something>_id`` / ``<Something>Id``
  (``orders.customer_id`` -> ``customer.customer_id``), or
* ``<table>_id`` / ``<Table>Id`` for a key named ``id`` (``orders.customer_id`` ->
  ``customers.id``, singular or plural table name).

A candidate becomes a suggestion only if the connector confirms, with one
read-only anti-join, that every non-NULL value of the column exists in the
key column and at least one does.  Suggestions are listed in the scan record;
the scan follows them only when ``infer_relationships`` is on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from piiscan.connectors.base import ForeignKey

_ID_SUFFIX = re.compile(r"(?:_id|Id|ID)$")


def _bare(table: str) -> str:
    """The table name without its schema: ``public.customer`` -> ``customer``."""
    return table.rsplit(".", 1)[-1]


def _names_for(table: str) -> set[str]:
    """Lower-case ``<table>_id`` / ``<table>id`` spellings of a key named ``id``, singular and plural."""
    base = _bare(table).lower()
    forms = {base, base[:-1] if base.endswith("s") else base, base[:-3] + "y" if base.endswith("ies") else base}
    return {f"{form}_id" for form in forms} | {f"{form}id" for form in forms}


def candidates(
    columns: dict[str, tuple[str, ...]], keys: dict[str, tuple[str, ...]], declared: Iterable[ForeignKey]
) -> list[ForeignKey]:
    """Possible undeclared foreign keys, by name only (``columns`` and ``keys`` per item id)."""
    taken = {(fk.table, fk.columns) for fk in declared}
    out = []
    for ref_table, key in sorted(keys.items()):
        if len(key) != 1:
            continue
        (key_column,) = key
        if _ID_SUFFIX.search(key_column):
            wanted = {key_column.lower()}
        elif key_column.lower() == "id":
            wanted = _names_for(ref_table)
        else:
            continue
        for table, names in sorted(columns.items()):
            if table == ref_table:
                continue
            for column in names:
                if column.lower() in wanted and (table, (column,)) not in taken:
                    name = f"inferred:{_bare(table)}.{column}->{_bare(ref_table)}.{key_column}"
                    out.append(ForeignKey(name, table, (column,), ref_table, (key_column,), "primary_key"))
    return out


def infer(
    columns: dict[str, tuple[str, ...]],
    keys: dict[str, tuple[str, ...]],
    declared: Iterable[ForeignKey],
    contained: Callable[[ForeignKey], bool | None],
) -> list[ForeignKey]:
    """The candidates whose values ``contained`` confirms (True) are all in the key column."""
    return [fk for fk in candidates(columns, keys, declared) if contained(fk)]


def containment_sql(table: str, column: str, ref_table: str, ref_column: str) -> str:
    """One read-only query, standard SQL, answering (does the column hold any value, is every value of it
    in the key column); all four names already quoted for the dialect."""
    return (
        f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {column} IS NOT NULL),"
        f" NOT EXISTS (SELECT 1 FROM {table} AS x WHERE x.{column} IS NOT NULL AND NOT EXISTS"
        f" (SELECT 1 FROM {ref_table} AS y WHERE y.{ref_column} = x.{column}))"
    )
