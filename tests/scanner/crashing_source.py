"""A test-only connector whose worker process dies on one item (as if killed or out of memory)."""

from __future__ import annotations

import os
from collections.abc import Iterator

from piiscan.connectors.base import ItemRef, TextChunk, WorkUnit
from piiscan.connectors.local import LocalConnector


class CrashingConnector(LocalConnector):
    """Local files, except that reading an item named ``crash.txt`` kills the worker process."""

    schemes = ("crashing",)

    def __init__(self, url: str, **options) -> None:
        super().__init__(url.removeprefix("crashing://"), **options)

    def read(self, unit: WorkUnit) -> Iterator[ItemRef | TextChunk]:
        if unit.item.item_id.endswith("crash.txt"):
            os._exit(9)
        yield from super().read(unit)
