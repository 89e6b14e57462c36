"""The Python API behind ``piiscan.scan / detect / lookup / audit``: the command line's main jobs as functions
returning typed results, in the spirit of Presidio's ``AnalyzerEngine().analyze()``.

    import piiscan

    piiscan.detect("mail bob@example.com")          # [Finding(entity_type='EMAIL_ADDRESS', start=5, end=20, ...)]
    summary = piiscan.scan("examples/estate", index=".piiscan")
    result = piiscan.lookup(email="alice.smith@example.com", index=".piiscan", linked=True)
    report = piiscan.audit(index=".piiscan")

Settings layer exactly as on the command line: defaults < ``config`` (a ``piiscan.toml``) < keyword overrides
(dotted keys such as ``**{"detectors.ner": False}``).  Errors are the CLI's one-line exceptions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from piiscan.app.requests import Register
from piiscan.app.workspace import queries_for
from piiscan.detectors.engine import DetectionEngine
from piiscan.index.keys import SubjectHasher, load_key
from piiscan.index.lookup import DEFAULT_DEPTH, DEFAULT_MAX_HOPS, LookupResult
from piiscan.index.lookup import lookup as lookup_index
from piiscan.index.store import open_index
from piiscan.reports.audit import build_audit
from piiscan.scanner.config import ScanConfig, load_config
from piiscan.scanner.runner import ScanSummary, run_scan

__all__ = ["AuditResult", "Finding", "audit", "detect", "lookup", "scan", "settings"]


@dataclass(frozen=True)
class Finding:
    """One detected value in a text: where it is, what it is, how sure, and which detector said so."""

    entity_type: str
    start: int
    end: int
    score: float
    detector: str


@dataclass(frozen=True)
class AuditResult:
    """A minimisation audit: whether a ``fail_on`` threshold holds, and the whole report (docs/audit.md)."""

    failed: bool
    as_of: str
    report: dict[str, Any]


def settings(config: str | Path | None = None, index: str | Path | None = None, **overrides: Any) -> ScanConfig:
    """The effective configuration: defaults < ``config`` file < ``index`` and dotted-key ``overrides``."""
    if index is not None:
        overrides["index"] = str(index)
    return load_config(None if config is None else Path(config), overrides)


def detect(text: str | Sequence[str], config: str | Path | None = None, **overrides: Any) -> list[Finding]:
    """The personal data in one text (or, for a list of texts, in all of them, in order), no index involved."""
    texts = [text] if isinstance(text, str) else list(text)
    engine = DetectionEngine(settings(config, **overrides).detectors)
    found = engine.detect_texts(texts).to_pylist()
    found.sort(key=lambda m: (m["row"], m["start"], m["end"]))
    return [Finding(m["entity_type"], m["start"], m["end"], round(float(m["score"]), 3), m["detector"]) for m in found]


def scan(
    *sources: str | Path, index: str | Path | None = None, config: str | Path | None = None, **overrides: Any
) -> ScanSummary:
    """Scan ``sources`` (paths or URLs; none: the configured ones) into the index; the summary the CLI prints."""
    cfg = settings(config, index, **overrides)
    targets = cfg.scan_targets([str(s) for s in sources], [])
    if not targets:
        raise ValueError("no sources: give paths/URLs, or configure [sources.NAME] or scan.sources in piiscan.toml")
    return run_scan(cfg, load_key(cfg.key_file, endpoint_url=cfg.endpoint_url), targets)


def lookup(
    email: str | Iterable[str] = (),
    phone: str | Iterable[str] = (),
    values: Iterable[tuple[str, str]] = (),
    index: str | Path | None = None,
    config: str | Path | None = None,
    linked: bool = False,
    related: bool = False,
    depth: int = DEFAULT_DEPTH,
    max_hops: int = DEFAULT_MAX_HOPS,
    **overrides: Any,
) -> LookupResult:
    """Every location of one subject, named by e-mail, phone or ``(ENTITY_TYPE, value)`` pairs."""
    cfg = settings(config, index, **overrides)
    wanted = [("EMAIL_ADDRESS", v) for v in _many(email)] + [("PHONE_NUMBER", v) for v in _many(phone)]
    queries = queries_for([*wanted, *values], cfg)
    store = open_index(cfg.index, cfg.endpoint_url)
    key = load_key(cfg.key_file, create=False, endpoint_url=cfg.endpoint_url)
    store.check_key(key)
    hops = max_hops if linked else 0
    hasher = SubjectHasher(key)
    result = lookup_index(store, hasher, queries, linked=linked, related=related, depth=depth, max_hops=hops)
    result.restrictions = Register.of_index(str(cfg.index), cfg.endpoint_url).standing(hasher, queries)
    return result


def audit(
    index: str | Path | None = None,
    config: str | Path | None = None,
    as_of: dt.date | None = None,
    fail_on: Sequence[str] = (),
    **overrides: Any,
) -> AuditResult:
    """The data-minimisation audit of the index (retention, unexpected places, duplication, staleness)."""
    cfg = settings(config, index, **overrides)
    register = Register.of_index(str(cfg.index), cfg.endpoint_url)
    store = open_index(cfg.index, cfg.endpoint_url)
    report = build_audit(
        store, cfg.retention, cfg.audit, as_of, list(fail_on), register.restricted_since(), register.objected_since()
    )
    return AuditResult(bool(report["failed"]), str(report.get("as_of", "")), report)


def _many(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
