"""The detection engine: one per worker process, built from DetectorSettings.

It owns the identifier detectors, the (lazily built) NER detector and a cache
of column plans, and turns texts or record batches into a pyarrow Table of
matches (:func:`piiscan.detectors.base.match_schema`).  Importing it loads no model.

After detection, in texts and in tables alike, matches below the score
thresholds are dropped, then matches on the allow list, then matches a
false-positive filter (:mod:`piiscan.detectors.filters`) rejects; deny-list terms are
found by one :class:`piiscan.detectors.lists.DenyListDetector` per entity type,
part of :attr:`DetectionEngine.detectors`, and are never filtered.
"""

from __future__ import annotations

import functools
import operator
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from piiscan.detectors.base import Detector, Match, match_schema
from piiscan.detectors.columns import (
    COLUMN_DETECTOR,
    COLUMN_DETECTOR_VERSION,
    ColumnPlan,
    as_strings,
    classify_columns,
    extract_columns,
    scan_texts,
)
from piiscan.detectors.custom import build_custom_detectors
from piiscan.detectors.filters import FilterSet, build_filters
from piiscan.detectors.identifiers import build_identifier_detectors
from piiscan.detectors.lists import AllowList, build_deny_list_detectors, term_key
from piiscan.detectors.multilingual import build_language_detectors
from piiscan.detectors.nlp import NER_ENTITIES, NerDetector, check_model, ner_version
from piiscan.detectors.prefilter import Prefilter
from piiscan.detectors.settings import DetectorSettings

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
            detectors = [
                *build_custom_detectors(settings),
                *build_identifier_detectors(settings),
                *build_language_detectors(settings),
            ]
        self.settings = settings
        deny = build_deny_list_detectors(settings)
        self.detectors: list[Detector] = [d for d in detectors if settings.wants(d.entity)]
        self.detectors.extend(deny)
        for detector in self.detectors:  # a per-entity threshold applies inside the detector too (it drops early)
            if detector not in deny and any(e == detector.entity for e, _ in settings.thresholds):
                detector.threshold = settings.threshold_for(detector.entity)
        self._deny = deny
        self._deny_names = [d.name for d in deny]
        #: one Hyperscan pass per batch says which texts each detector must search
        self.prefilter = Prefilter(self.detectors)
        self.filters = FilterSet(build_filters(settings.filters))
        self.allow_list = AllowList(settings.allow_list, self.detectors)
        self._allowed = pa.array(sorted(self.allow_list.normalised), pa.string())
        self.use_ner = settings.ner and any(settings.wants(e) for e in NER_ENTITIES)
        if self.use_ner and ner is None:
            for model in settings.language_models().values():
                check_model(model)  # fail at start-up, load on first use
        self._ner = ner
        self._plans: OrderedDict[Hashable, dict[str, ColumnPlan]] = OrderedDict()

    @property
    def ner(self) -> NerDetector | None:
        """The NER detector, built on first use (tables without free text never load spaCy)."""
        if not self.use_ner:
            return None
        if self._ner is None:
            self._ner = NerDetector(self._ner_settings())
        return self._ner

    def _ner_settings(self) -> DetectorSettings:
        """Settings for the NER model: a PERSON/LOCATION threshold below ner_threshold lowers its cut-off
        (the engine then applies each entity's own threshold)."""
        lowest = min(self.settings.threshold_for(e) for e in NER_ENTITIES)
        if lowest >= self.settings.ner_threshold:
            return self.settings
        return replace(self.settings, ner_threshold=lowest)

    def detector_versions(self) -> dict[str, str]:
        """Detector name -> version, recorded in the index so changed detectors trigger rescans."""
        versions = {d.name: d.version for d in self.detectors}
        versions[COLUMN_DETECTOR] = COLUMN_DETECTOR_VERSION
        versions.update(self.filters.versions())
        if self.allow_list:
            versions["allow_list"] = self.allow_list.version
        if self.use_ner:
            versions[NerDetector.name] = self._ner.version if self._ner else ner_version(self.settings)
        return versions

    # -- texts -----------------------------------------------------------------
    def detect_texts(self, texts: Sequence[str], field: str | None = None) -> pa.Table:
        """Matches in each text; ``row`` is the index into ``texts``.

        Kept cheap per match (log lines carry thousands per MB): thresholds are
        looked up per entity type, and a filter runs only on texts that contain
        its hint (:meth:`FilterSet.text_hints`, one vectorised regex pass per
        filter over the texts that have a match it could reject).
        """
        found = scan_texts(texts, self.detectors, self.ner, field, self.prefilter)
        minimum = self._minimum_scores
        kept = [(i, m) for i, matches in enumerate(found) for m in matches if m.score >= minimum[m.entity_type]]
        if kept and (self.allow_list or self.filters.entities):
            kept = self._unfiltered(texts, kept)
        return matches_table(kept, field)

    @functools.cached_property
    def _minimum_scores(self) -> dict[str, float]:
        """Entity type -> minimum score to report (infinite for types the settings do not want)."""
        return _MinimumScores(self.settings)

    def _unfiltered(self, texts: Sequence[str], kept: list[tuple[int, Match]]) -> list[tuple[int, Match]]:
        """``kept`` without matches on the allow list or rejected by a false-positive filter."""
        filtered = self.filters.entities
        rows = sorted({i for i, m in kept if m.entity_type in filtered and m.detector not in self._deny_names})
        hints = self.filters.text_hints([texts[i] for i in rows])
        position = {row: k for k, row in enumerate(rows)}
        allow = self.allow_list
        out = []
        for i, m in kept:
            if allow and m.normalised in allow.normalised:
                continue
            if m.detector in self._deny_names:  # an allow-listed deny term has the term's normalised value
                out.append((i, m))
                continue
            text = texts[i]
            if allow and term_key(text[m.start : m.end]) in allow.text_keys:
                continue
            if m.entity_type in filtered and hints.rejecting(text, m.start, m.end, m.entity_type, position[i]):
                continue
            out.append((i, m))
        return out

    def _drops_text(self, text: str, start: int, end: int, entity_type: str) -> bool:
        """The checks that need the text: the allow list on the matched text, then the filters."""
        if self.allow_list and term_key(text[start:end]) in self.allow_list.text_keys:
            return True
        return self.filters.rejecting(text, start, end, entity_type) is not None

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
        table = extract_columns(batch, plans, self.detectors, self.settings, ner, self.prefilter)
        if self._deny:
            table = self._add_deny_matches(batch, plans, table)
        if not table.num_rows:
            return table
        ner_like = pc.is_in(table["entity_type"], pa.array(NER_ENTITIES))
        threshold = pc.if_else(ner_like, self.settings.ner_threshold, self.settings.score_threshold)
        for entity, score in self.settings.thresholds:
            threshold = pc.if_else(pc.equal(table["entity_type"], entity), score, threshold)
        keep = pc.greater_equal(table["score"], pc.cast(threshold, pa.float32()))
        if self.settings.entities:
            keep = pc.and_(keep, pc.is_in(table["entity_type"], pa.array(self.settings.entities)))
        if self.settings.disabled_entities:
            disabled = pc.is_in(table["entity_type"], pa.array(self.settings.disabled_entities, pa.string()))
            keep = pc.and_(keep, pc.invert(disabled))
        if self.allow_list:
            allowed = pc.is_in(table["normalised"], self._allowed)
            keep = pc.and_(keep, pc.invert(allowed))
        table = table.filter(keep)
        table = self._filter_cells(batch, table)
        return table.sort_by([("row", "ascending"), ("field", "ascending"), ("start", "ascending")])

    def _add_deny_matches(self, batch: pa.RecordBatch, plans: dict[str, ColumnPlan], table: pa.Table) -> pa.Table:
        """Deny-list terms in every string column, not only where column extraction ran all detectors.

        Free-text columns already went through every detector (deny-list ones
        included); other columns are searched once per distinct value.  A term
        already found with the same span and entity type in the cell is not added twice.
        """
        parts = [table]
        for column, plan in plans.items():
            strings = as_strings(batch.column(column)) if plan.kind not in ("free_text", "skip") else None
            if strings is None:
                continue
            encoded = pc.dictionary_encode(strings)
            found = [[m for d in self._deny for m in d.find(v)] for v in encoded.dictionary.to_pylist()]
            counts = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
            if not counts.any():
                continue
            codes = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
            rows = np.flatnonzero((codes >= 0) & (counts[np.maximum(codes, 0)] > 0))
            per_row = counts[codes[rows]]
            first = np.cumsum(counts) - counts  # where each distinct value's matches start in ``flat``
            take = np.repeat(first[codes[rows]], per_row) + (
                np.arange(int(per_row.sum())) - np.repeat(np.cumsum(per_row) - per_row, per_row)
            )
            flat = [m for matches in found for m in matches]
            pairs = [(int(r), flat[i]) for r, i in zip(np.repeat(rows, per_row), take, strict=True)]
            had = table.filter(pc.and_(pc.equal(table["field"], column), pc.is_in(table["row"], pa.array(rows))))
            seen = set(zip(*(had[c].to_pylist() for c in ("row", "start", "end", "entity_type")), strict=True))
            pairs = [(r, m) for r, m in pairs if (r, m.start, m.end, m.entity_type) not in seen]
            if pairs:
                parts.append(matches_table(pairs, column))
        return pa.concat_tables(parts) if len(parts) > 1 else table

    def _filter_cells(self, batch: pa.RecordBatch, table: pa.Table) -> pa.Table:
        """Run the false-positive filters (and the allow list on matched text) over table matches.

        Kept cheap: deny-list matches and entity types no filter applies to are
        never looked at; a cell without a filter's hint (:meth:`FilterSet.cell_hint`,
        e.g. no ":" or "T" for timestamps) is skipped by a vectorised regex; the
        rest is checked once per distinct (cell, span, entity type) of a column,
        the cell text taken from the batch.
        """
        if not table.num_rows or not (self.allow_list or self.filters.entities):
            return table
        candidates = np.ones(table.num_rows, dtype=bool)
        if self._deny_names:
            candidates &= ~_bools(pc.is_in(table["detector"], pa.array(self._deny_names, pa.string())))
        drop = np.zeros(table.num_rows, dtype=bool)
        fields = table["field"]
        for field in pc.unique(fields).to_pylist():
            strings = as_strings(batch.column(field))
            positions = np.flatnonzero(candidates & _bools(pc.equal(fields, field)))
            if strings is None or not len(positions):
                continue
            part = table.take(pa.array(positions)).combine_chunks()
            cells = strings.take(part["row"].chunk(0))
            entity_column = part["entity_type"].chunk(0)
            need = np.zeros(len(positions), dtype=bool)
            if self.allow_list:
                need |= _bools(pc.match_substring_regex(cells, self.allow_list.cell_hint))
            for entity in pc.unique(entity_column).to_pylist():
                hint = self.filters.cell_hint(entity)
                if hint == "":
                    continue
                rows = _bools(pc.equal(entity_column, entity))
                need |= rows if hint is None else rows & _bools(pc.match_substring_regex(cells, hint))
            if not need.any():
                continue
            positions, picked = positions[need], pa.array(np.flatnonzero(need))
            cells = cells.take(picked)
            starts, ends, entities = (part[c].chunk(0).take(picked) for c in ("start", "end", "entity_type"))
            spans = (pc.cast(starts, pa.string()), pc.cast(ends, pa.string()))
            key = pc.binary_join_element_wise(cells, *spans, entities, "\x1f")
            codes = pc.dictionary_encode(key).indices.to_numpy(zero_copy_only=False)
            distinct = int(codes.max()) + 1
            first = np.empty(distinct, dtype=np.int64)  # first position of each distinct key
            first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
            pick = pa.array(first)
            values = zip(*(a.take(pick).to_pylist() for a in (cells, starts, ends, entities)), strict=True)
            verdicts = np.fromiter((self._drops_text(*v) for v in values), dtype=bool, count=distinct)
            drop[positions[verdicts[codes]]] = True
        return table.filter(pa.array(~drop)) if drop.any() else table


class _MinimumScores(dict):
    """Entity type -> the settings' minimum score, computed on first use (infinite when unwanted)."""

    def __init__(self, settings: DetectorSettings) -> None:
        super().__init__()
        self.settings = settings

    def __missing__(self, entity: str) -> float:
        score = self.settings.threshold_for(entity) if self.settings.wants(entity) else float("inf")
        self[entity] = score
        return score


_MATCH_COLUMNS = ("entity_type", "start", "end", "score", "detector", "normalised", "preview")
_match_values = operator.attrgetter(*_MATCH_COLUMNS)


def matches_table(rows: list[tuple[int, Match]], field: str | None = None) -> pa.Table:
    """Build a match_schema table from ``(row, Match)`` pairs."""
    if not rows:
        return match_schema().empty_table()
    columns = zip(*((r, *_match_values(m)) for r, m in rows), strict=True)
    data = dict(zip(("row", *_MATCH_COLUMNS), map(list, columns), strict=True))
    data["field"] = [field] * len(rows)
    return pa.table(data, schema=match_schema())


def _bools(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array (nulls as False) as a numpy array."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)
