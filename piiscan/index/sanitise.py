"""Keep personal data out of paths, field names, locators and messages.

Item paths, column names, JSON keys and error messages can themselves hold
identifiers ("exports/alice@example.com.csv").  Before any such string is
stored or logged it passes through :class:`Sanitiser`, which masks every
identifier the (cheap, regex-based) identifier detectors find in it.
"""

from __future__ import annotations

from collections.abc import Sequence

from piiscan.detectors.base import Detector
from piiscan.detectors.identifiers import build_identifier_detectors
from piiscan.detectors.settings import DetectorSettings

_CACHE_LIMIT = 100_000


class Sanitiser:
    def __init__(self, settings: DetectorSettings, detectors: Sequence[Detector] | None = None) -> None:
        """``detectors``: reuse an engine's identifier detectors instead of building a second set."""
        if detectors is None:
            detectors = build_identifier_detectors(settings)
        # not the quasi-identifiers of free text: a dated file name ("logs/2026-11-01.log") holds no one's data
        self._detectors = [d for d in detectors if not d.free_text_only]
        self._cache: dict[str, tuple[str, bool]] = {}

    def mask(self, text: str) -> tuple[str, bool]:
        """Return ``(masked text, whether anything was masked)``."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        spans: list[tuple[int, int, str]] = []
        for detector in self._detectors:
            for match in detector.find(text):
                if not any(s < match.end and match.start < e for s, e, _ in spans):
                    spans.append((match.start, match.end, match.preview))
        out = text
        for start, end, preview in sorted(spans, reverse=True):
            out = out[:start] + preview + out[end:]
        result = (out, bool(spans))
        if len(self._cache) < _CACHE_LIMIT:
            self._cache[text] = result
        return result

    def __call__(self, text: str) -> str:
        return self.mask(text)[0]


#: characters of an item's keyed token appended to a masked item name
LABEL_TOKEN_CHARS = 8


def item_label(sanitiser: Sanitiser, item_id: str, item_key: str) -> tuple[str, bool]:
    """An item's stored name and whether it was masked.

    A name holding personal data is stored masked, followed by `` #`` and the start of its keyed token
    (``item_key``): ``exports/john.smith@example.com.txt`` and ``exports/jane.smith@example.com.txt``
    mask alike, and without the token they would be one item in the index (one status row, one place
    for a lookup, one target for an erasure)."""
    masked, changed = sanitiser.mask(item_id)
    return (f"{masked} #{item_key[:LABEL_TOKEN_CHARS]}", True) if changed else (item_id, False)


def one_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of an exception's message (or its type name), for one-line errors."""
    lines = str(exc).strip().splitlines()
    return lines[0][:limit] if lines else type(exc).__name__
