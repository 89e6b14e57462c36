"""What a scan will do, decided before any worker starts, and the result recorded for a unit that never finished.

Both executors (the process pool of :mod:`piiscan.scanner.runner` and the Dask cluster of
:mod:`piiscan.scanner.dask_executor`) read the same plan and fail units the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from piiscan.connectors.base import Connector, ItemProblem, ItemRef, WorkUnit
from piiscan.index.store import LINK_SCHEMA, OCCURRENCE_SCHEMA
from piiscan.scanner.worker import UnitResult


@dataclass
class Plan:
    """Everything a scan will do, decided before any worker starts."""

    connectors: dict[str, Connector] = field(default_factory=dict)
    units: list[WorkUnit] = field(default_factory=list)
    items: dict[tuple[str, str], ItemRef] = field(default_factory=dict)
    problems: list[ItemProblem] = field(default_factory=list)
    source_errors: list[tuple[str, str]] = field(default_factory=list)
    #: source -> its declared foreign keys (ForeignKey.to_dict()), recorded with the scan
    relationships: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: source -> relationships its data suggests (same-named *_id columns), followed or not
    inferred_relationships: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: (source, item id) of items asked for by name that no longer exist (see ``build_plan``)
    gone: list[tuple[str, str]] = field(default_factory=list)
    #: items enumerated but not scanned: unchanged since the index's current row for them (incremental scan)
    unchanged: list[ItemRef] = field(default_factory=list)
    #: source -> its (include, exclude) globs, for the sources whose enumeration ran to the end
    complete_sources: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)
    #: folder source -> (its root path, relative paths of the SQLite databases found in it)
    folder_databases: dict[str, tuple[str, set[str]]] = field(default_factory=dict)
    #: item identity (``Connector.item_identity``) -> the (source, item id) that reached it first: the one scanned
    identities: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: later reaches of items already reached (through another source or path, or the same source named twice)
    reached_twice: int = 0
    #: (source, item id) of later reaches under another name than the first: that name's index rows are retired
    superseded: set[tuple[str, str]] = field(default_factory=set)

    @property
    def total_bytes(self) -> int:
        return sum(u.size for u in self.units)


def failed_result(unit: WorkUnit, reason: str) -> UnitResult:
    """The result of a unit that did not run to the end: no findings, one 'failed' problem naming why."""
    return UnitResult(
        unit_id=unit.unit_id,
        source=unit.item.source,
        item_id=unit.item.item_id,
        part=unit.part,
        occurrences=OCCURRENCE_SCHEMA.empty_table(),
        links=LINK_SCHEMA.empty_table(),
        problems=[ItemProblem(unit.item.item_id, "failed", reason, unit.item.source)],
        bytes_scanned=unit.size,
    )
