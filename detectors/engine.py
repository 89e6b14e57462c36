"""The detection engine: one per worker process, built from DetectorSettings.

It owns the identifier detectors, the (lazily built) NER detector and a cache
of column plans, and turns texts or record batches into a pyarrow Table of
matches (:func:`detectors.base.match_schema`).  Importing it loads no model.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, Match, match_schema
from detectors.columns import (
    COLUMN_DETECTOR,
    COLUMN_DETECTOR_VERSION,
    ColumnPlan,
    classify_columns,
    extract_columns,
    scan_texts,
)
from detectors.nlp import NER_ENTITIES, NerDetector, check_model, ner_version
from detectors.settings import DetectorSettings

#: Items whose column plans are remembered (a worker scans one item at a time).
PLAN_CACHE_ITEMS = 256


class DetectionEngine:
    """Identifier detectors + NER over texts and tables, filtered on settings."""

    def __init__(
        self,
        settings: DetectorSettings,
        detectors: Sequence[Detector] | None = None,
        ner: NerDetector | None = None,
    ) -> None:
        if detectors is None:
            from detectors.identifiers import build_identifier_detectors

            detectors = build_identifier_detectors(settings)
        self.settings = settings
        self.detectors = [d for d in detectors if settings.wants(d.entity)]
        self.use_ner = settings.ner and any(settings.wants(e) for e in NER_ENTITIES)
        if self.use_ner and ner is None:
            check_model(settings.spacy_model)  # fail at start-up, load on first use
        self._ner = ner
        self._plans: OrderedDict[Hashable, dict[str, ColumnPlan]] = OrderedDict()

    @property
    def ner(self) -> NerDetector | None:
        """The NER detector, built on first use (tables without free text never load spaCy)."""
        if not self.use_ner:
            return None
        if self._ner is None:
            self._ner = NerDetector(self.settings)
        return self._ner

    def detector_versions(self) -> dict[str, str]:
        """Detector name -> version, recorded in the index so changed detectors trigger rescans."""
        versions = {d.name: d.version for d in self.detectors}
        versions[COLUMN_DETECTOR] = COLUMN_DETECTOR_VERSION
        if self.use_ner:
            versions[NerDetector.name] = self._ner.version if self._ner else ner_version(self.settings)
        return versions

    # -- texts -----------------------------------------------------------------
    def detect_texts(self, texts: Sequence[str], field: str | None = None) -> pa.Table:
        """Matches in each text; ``row`` is the index into ``texts``."""
        found = scan_texts(texts, self.detectors, self.ner, field)
        rows = [(i, m) for i, matches in enumerate(found) for m in matches if self._keep(m)]
        return matches_table(rows, field)

    def _keep(self, m: Match) -> bool:
        ner_like = m.entity_type in NER_ENTITIES
        threshold = self.settings.ner_threshold if ner_like else self.settings.score_threshold
        return m.score >= threshold and self.settings.wants(m.entity_type)

    # -- tables -----------------------------------------------------------------
    def plan(
        self, batch: pa.RecordBatch, columns: list[str], plan_key: Hashable | None = None
    ) -> dict[str, ColumnPlan]:
        """Column plans, classified once per ``plan_key`` (an item) rather than per batch."""
        cached = self._plans.get(plan_key, {}) if plan_key is not None else {}
        todo = [c for c in columns if c not in cached or not cached[c].settled]
        if todo:
            cached = {**cached, **classify_columns(batch, todo, self.detectors, self.settings)}
            if plan_key is not None:
                self._plans[plan_key] = cached
                while len(self._plans) > PLAN_CACHE_ITEMS:
                    self._plans.popitem(last=False)
        if plan_key in self._plans:
            self._plans.move_to_end(plan_key)
        return {c: cached[c] for c in columns}

    def detect_table(self, batch: pa.RecordBatch, columns: list[str], plan_key: Hashable | None = None) -> pa.Table:
        """Matches in the given columns; ``row`` is the row in ``batch``, ``field`` the column."""
        plans = self.plan(batch, columns, plan_key)
        ner = self.ner if any(p.kind == "free_text" for p in plans.values()) else None
        table = extract_columns(batch, plans, self.detectors, self.settings, ner)
        if not table.num_rows:
            return table
        ner_like = pc.is_in(table["entity_type"], pa.array(NER_ENTITIES))
        threshold = pc.if_else(ner_like, self.settings.ner_threshold, self.settings.score_threshold)
        keep = pc.greater_equal(table["score"], pc.cast(threshold, pa.float32()))
        if self.settings.entities:
            keep = pc.and_(keep, pc.is_in(table["entity_type"], pa.array(self.settings.entities)))
        return table.filter(keep).sort_by([("row", "ascending"), ("field", "ascending"), ("start", "ascending")])


def matches_table(rows: list[tuple[int, Match]], field: str | None = None) -> pa.Table:
    """Build a match_schema table from ``(row, Match)`` pairs."""
    return pa.table(
        {
            "row": [r for r, _ in rows],
            "field": [field] * len(rows),
            "entity_type": [m.entity_type for _, m in rows],
            "start": [m.start for _, m in rows],
            "end": [m.end for _, m in rows],
            "score": [m.score for _, m in rows],
            "detector": [m.detector for _, m in rows],
            "normalised": [m.normalised for _, m in rows],
            "preview": [m.preview for _, m in rows],
        },
        schema=match_schema(),
    )
