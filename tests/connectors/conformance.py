"""The conformance suite every connector runs (as fsspec's abstract tests do).

Use it by subclassing in a test module::

    class TestLocalConformance(ConnectorConformance):
        @pytest.fixture
        def connector(self, tmp_path): ...
        @pytest.fixture
        def change_item(self, ...): ...   # returns a function that changes one item's content

The fixtures must give a source with at least one item that ``plan`` splits at
``unit_bytes``.
"""

from __future__ import annotations

import pickle
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import pytest

from piiscan.connectors.base import Connector, ItemProblem, ItemRef, TableBatch, TextChunk, WorkUnit, locator_json
from piiscan.connectors.formats.office import NameText

Location = tuple[str, Any]


def items_of(connector: Connector) -> list[ItemRef]:
    return [item for item in connector.enumerate() if isinstance(item, ItemRef)]


def read_all(connector: Connector, units: Iterable[WorkUnit]) -> list[Any]:
    return [result for unit in units for result in connector.read(unit)]


def locations(results: Iterable[Any]) -> list[Location]:
    """(locator JSON, content) of every line and row, in reading order (not the names of sheets, members and
    attachments a reader also yields: tests/scanner/test_names.py checks those)."""
    found: list[Location] = []
    for result in results:
        if isinstance(result, NameText):
            continue
        if isinstance(result, TextChunk):
            found.extend((locator_json(result.locator(i)), line) for i, line in enumerate(result.lines))
        elif isinstance(result, TableBatch):
            columns = {name: result.batch.column(name).to_pylist() for name in result.scan_columns()}
            for i in range(result.batch.num_rows):
                row = tuple(sorted((name, values[i]) for name, values in columns.items()))
                found.append((locator_json(result.locator(i)), row))
    return found


def problems(results: Iterable[Any]) -> list[ItemProblem]:
    return [r for r in results if isinstance(r, ItemProblem)]


def reasons(results: Iterable[Any]) -> list[tuple[str, str]]:
    """(severity, reason) of every problem among ``results``."""
    return [(p.severity, p.reason) for p in problems(results)]


def scan_file(path: Any, unit_bytes: int = 1024) -> list[Any]:
    """Everything a local connector over ``path`` yields: listing problems, then each item's results."""
    from piiscan.connectors.local import LocalConnector

    connector = LocalConnector(str(path))
    results: list[Any] = []
    for entry in connector.enumerate():
        if isinstance(entry, ItemProblem):
            results.append(entry)
        else:
            results += read_all(connector, connector.plan(entry, unit_bytes))
    return results


class ConnectorConformance:
    """Behaviour every connector must share; see the module docstring."""

    unit_bytes: ClassVar[int] = 512

    @pytest.fixture
    def connector(self) -> Connector:
        raise NotImplementedError

    @pytest.fixture
    def change_item(self) -> Callable[[ItemRef], None]:
        raise NotImplementedError

    def test_enumerate_is_stable(self, connector: Connector) -> None:
        first = [(i.item_id, i.fingerprint, i.fmt) for i in items_of(connector)]
        second = [(i.item_id, i.fingerprint, i.fmt) for i in items_of(connector)]
        assert first
        assert first == second
        assert len({item_id for item_id, _, _ in first}) == len(first)

    def test_items_name_their_source(self, connector: Connector) -> None:
        for entry in connector.enumerate():
            assert entry.source == connector.source
            assert entry.item_id

    def test_fingerprint_changes_with_content(
        self, connector: Connector, change_item: Callable[[ItemRef], None]
    ) -> None:
        before = {i.item_id: i for i in items_of(connector)}
        changed = next(iter(before.values()))
        change_item(changed)
        after = {i.item_id: i.fingerprint for i in items_of(connector)}
        assert after[changed.item_id] != changed.fingerprint

    def test_pickles_before_and_after_reading(self, connector: Connector) -> None:
        fresh = pickle.loads(pickle.dumps(connector))
        item = items_of(fresh)[0]
        results = read_all(fresh, fresh.plan(item, self.unit_bytes))
        again = pickle.loads(pickle.dumps(fresh))
        assert locations(read_all(again, again.plan(item, self.unit_bytes))) == locations(results)
        connector.close()
        fresh.close()
        again.close()

    def test_read_yields_only_result_values(self, connector: Connector) -> None:
        for item in items_of(connector):
            for unit in connector.plan(item, self.unit_bytes):
                for result in connector.read(unit):
                    assert isinstance(result, (TextChunk, TableBatch, ItemProblem)), type(result)

    def test_problems_are_one_line_values(self, connector: Connector) -> None:
        entries = list(connector.enumerate())
        found = problems(entries)
        for item in items_of(connector):
            found += problems(read_all(connector, connector.plan(item, self.unit_bytes)))
        for problem in found:
            assert problem.severity in ("note", "skipped", "failed")
            assert problem.reason and "\n" not in problem.reason
            assert problem.source == connector.source

    def test_some_item_is_split(self, connector: Connector) -> None:
        assert any(len(connector.plan(item, self.unit_bytes)) > 1 for item in items_of(connector))

    def test_units_cover_every_line_and_row_once(self, connector: Connector) -> None:
        for item in items_of(connector):
            units = connector.plan(item, self.unit_bytes)
            assert [u.part for u in units] == list(range(len(units)))
            assert all(u.parts == len(units) and u.item == item for u in units)
            assert len({u.unit_id for u in units}) == len(units)
            whole = locations(connector.read(WorkUnit(item)))
            split = locations(read_all(connector, units))
            assert Counter(split) == Counter(whole), item.item_id
            assert len({loc for loc, _ in split}) == len(split), f"duplicate locators in {item.item_id}"
