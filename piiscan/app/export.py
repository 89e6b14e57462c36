"""The Art. 20 portability bundle: the subject's actual records, fetched live from each source.

An access report (:mod:`piiscan.reports.dsar`) is built from the index and holds masked
previews only.  The bundle is its companion: for every location and related row
of the report, the record itself is read back through the source's connector at
request time (:meth:`piiscan.connectors.base.Connector.fetch`: a ``WHERE key IN (...)``
query on a database, a re-read of a file keeping the matched records) and
written to ``export.zip``:

* ``tables/<source-slug>/<table>.json`` and ``.csv`` — the table rows (the
  subject's own rows and the related rows that reference them), as row objects;
* ``documents/<source-slug>/<item path>.jsonl`` — the matched records of files
  (lines, CSV/JSONL rows, PDF page lines, spreadsheet rows, Word paragraphs and
  cells, attachment and archive-member records), one object per record:
  ``{locator, field, text}`` or ``{locator, field, values}``;
* ``manifest.json`` — what was fetched, checksums, what was missing or changed
  since the scan, problems, and third-party redaction counts (no raw value).

Third parties: every record's text is run through the detection engine (built
once per export, with the scan's detector settings); an identifying finding
(identifier or name) whose subject key is not one of the subject's own keys
(:func:`own_keys`, from :mod:`piiscan.index.attribution`) is replaced by
``[redacted: THIRD PARTY <TYPE>]``.

The bundle holds personal data (it is the subject's copy): it is written to a
temporary name with mode 0600 and renamed when complete.  Nothing else the
export produces (manifest, report, messages) holds a raw value.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from piiscan.connectors.base import Connector, FetchedRecord, ItemProblem, ItemRef, SourceError, locator_json
from piiscan.connectors.registry import open_source
from piiscan.detectors.custom import linkable_custom_entities
from piiscan.detectors.engine import DetectionEngine
from piiscan.detectors.identifiers import LINKABLE_ENTITIES
from piiscan.index.attribution import attribute_from_index
from piiscan.index.keys import SubjectHasher
from piiscan.index.sanitise import Sanitiser, item_label, one_line
from piiscan.index.storage import private_dir
from piiscan.index.store import Index
from piiscan.scanner.config import ScanConfig

MANIFEST_VERSION = "1"
BUNDLE_NAME = "export.zip"
#: texts analysed per detection call
DETECT_BATCH = 1_000
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


def redaction_marker(entity_type: str) -> str:
    return f"[redacted: THIRD PARTY {entity_type}]"


@dataclass
class _Target:
    """One item of the report: the locators to fetch and which of them are third-party related rows."""

    source: str
    item: str
    fingerprint: str | None = None
    locators: dict[str, dict[str, Any]] = field(default_factory=dict)
    third_party: set[str] = field(default_factory=set)
    #: records reached only through another person's identifier: not exported
    excluded: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class ExportResult:
    """What :func:`write_export` did: the bundle, its manifest, the report's ``export`` summary and warnings."""

    path: Path
    manifest: dict[str, Any]
    summary: dict[str, Any]
    warnings: list[str]

    @property
    def fetched_nothing(self) -> bool:
        """Records were wanted, none could be fetched, and something went wrong (exit code 1)."""
        m = self.manifest["totals"]
        return m["wanted"] > 0 and m["records"] == 0 and bool(self.warnings)


def own_keys(index: Index, report: dict[str, Any]) -> set[str]:
    """The subject's own keys: the queried and resolved identifiers, and what their records hold that
    :mod:`piiscan.index.attribution` gives to the subject (their name and address in their row, a signature that
    matches it).  Everything else -- another person's identifier, an ambiguous one, a colleague's name next to
    the subject's phone number -- is a third party's and redacted.  (Someone with two addresses asks with
    both: queried keys are always their own.)
    """
    resolved = set(report["subject_keys"]) | {r["subject_key"] for r in report.get("linked_identifiers", [])}
    ambiguous = {a["subject_key"] for a in report.get("ambiguous_identifiers", [])}
    return resolved | attribute_from_index(index, resolved, ambiguous).subject_keys


def targets(report: dict[str, Any], own: set[str]) -> list[_Target]:
    """The items of the report with their locators (locations and related rows), in report order.

    A record reached only through a linked identifier that is not the subject's own (:func:`own_keys`:
    the other address of a shared log line) is another person's record: it is left out and counted.
    """
    others: dict[tuple[str, str], bool] = {}
    for linked in report["linked_identifiers"]:
        pair = (linked["entity_type"], linked["preview"])
        others[pair] = others.get(pair, True) and linked["subject_key"] not in own
    found: dict[tuple[str, str], _Target] = {}
    for item in report["items"]:
        found[(item["source"], item["item"])] = _Target(item["source"], item["item"], item.get("fingerprint"))
    for system in report["systems"]:
        for item in system["items"]:
            target = found.setdefault((system["source"], item["item"]), _Target(system["source"], item["item"]))
            for loc in item["locations"]:
                reached = loc.get("reached") or {}
                text = locator_json(loc["locator"])
                if reached.get("how") == "linked" and others.get((reached["entity_type"], reached["preview"])):
                    target.excluded.setdefault(text, loc["locator"])
                else:
                    target.locators.setdefault(text, loc["locator"])
    for row in report["related_rows"]:
        target = found.setdefault((row["source"], row["item"]), _Target(row["source"], row["item"]))
        text = locator_json(row["locator"])
        target.locators.setdefault(text, row["locator"])
        if row["third_party"]:
            target.third_party.add(text)
    for target in found.values():
        target.excluded = {k: v for k, v in target.excluded.items() if k not in target.locators}
    return [t for t in found.values() if t.locators or t.excluded]


class Redactor:
    """Replaces other people's identifying findings in fetched records (one engine per export)."""

    def __init__(self, config: ScanConfig, hasher: SubjectHasher, own: set[str], engine: Any | None = None) -> None:

        self.engine = engine or DetectionEngine(config.detectors)
        self.hasher = hasher
        self.own = own
        #: what identifies a third party (a town or a date alone does not), as for ``third_party`` rows:
        #: identifiers, custom recognizers declared linkable (an employee number), and names
        self.identifying = frozenset(LINKABLE_ENTITIES) | linkable_custom_entities(config.detectors) | {"PERSON"}
        self.sanitiser = Sanitiser(config.detectors, self.engine.detectors)
        self.counts: dict[str, int] = {}

    def redact(self, texts: list[str]) -> tuple[list[str], dict[str, int]]:
        """The texts with third-party findings replaced, and the count per entity type."""
        out = list(texts)
        counts: dict[str, int] = {}
        for offset in range(0, len(texts), DETECT_BATCH):
            chunk = texts[offset : offset + DETECT_BATCH]
            spans: dict[int, list[tuple[int, int, str]]] = {}
            matches = self.engine.detect_texts(chunk).to_pydict()
            columns = [matches[c] for c in ("row", "entity_type", "start", "end", "normalised")]
            for row, entity, start, end, normalised in zip(*columns, strict=True):
                if entity in self.identifying and self.hasher.subject_key(entity, normalised) not in self.own:
                    spans.setdefault(row, []).append((start, end, entity))
            for row, found in spans.items():
                text, last = chunk[row], len(chunk[row]) + 1
                for start, end, entity in sorted(found, key=lambda s: (-s[0], -s[1])):
                    if end > last:  # overlaps a span already replaced (sorted from the end)
                        continue
                    text = text[:start] + redaction_marker(entity) + text[end:]
                    counts[entity] = counts.get(entity, 0) + 1
                    last = start
                out[offset + row] = text
        for entity, n in counts.items():
            self.counts[entity] = self.counts.get(entity, 0) + n
        return out, counts

    def safe_locator(self, locator: dict[str, Any]) -> str:
        """A live locator as the index records it: string values holding an identifier masked and keyed
        (as :meth:`piiscan.scanner.worker.UnitScanner._safe_locator` does), so records match report locators."""

        def clean(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, str):
                masked, changed = self.sanitiser.mask(value)
                return {"masked": masked, "token": self.hasher.token("locator", value)} if changed else value
            return value

        return locator_json(clean(locator))

    def one_line(self, text: str) -> str:
        """A message safe to show: one line, identifiers masked."""
        return self.sanitiser.mask(text.strip().splitlines()[0] if text.strip() else "")[0]


def source_slug(source: str, taken: set[str]) -> str:
    """A folder name for a source: scheme and location, unsafe characters as ``-``, made unique."""
    scheme, _, rest = source.partition("://")
    base = _SLUG.sub("-", f"{scheme}-{rest}" if rest else scheme).strip("-.")[:80] or "source"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def safe_path(item: str) -> str:
    """An item id as a relative path inside the bundle (no absolute part, no ``..``)."""
    parts = [p for p in PurePosixPath(item.replace("\\", "/")).parts if p not in ("", ".", "..", "/")]
    return "/".join(parts) or "item"


class _Bundle:
    """Files of the zip with their checksums, written as they are added."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.files: list[dict[str, Any]] = []
        self._names: set[str] = set()

    def add(self, path: str, data: bytes, records: int) -> str:
        stem, dot, suffix = path.rpartition(".")
        n = 2
        while path in self._names:
            path, n = f"{stem}-{n}{dot}{suffix}", n + 1
        self._names.add(path)
        self.archive.writestr(path, data)
        self.files.append(
            {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "records": records}
        )
        return path


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")


def _csv_bytes(rows: list[dict[str, Any]]) -> bytes:
    columns = list(dict.fromkeys(c for row in rows for c in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _resolve(connector: Connector, target: _Target, redactor: Redactor) -> tuple[str, ItemRef | ItemProblem | None]:
    """The live item of a report item: by its id, else (a path stored masked) the item whose masked id it is."""
    live = connector.current(target.item)
    if live is not None:
        return target.item, live
    for entry in connector.enumerate():
        if (
            isinstance(entry, ItemRef)
            and item_label(redactor.sanitiser, entry.item_id, redactor.hasher.token("item", entry.item_id))[0]
            == target.item
        ):
            return entry.item_id, entry
    return target.item, None


def _redacted_records(records: list[FetchedRecord], redactor: Redactor) -> tuple[list[FetchedRecord], dict[str, int]]:
    """The records with their text values redacted (NULLs and non-text values as they are)."""
    texts: list[str] = []
    for record in records:
        if record.text is not None:
            texts.append(record.text)
        for value in (record.values or {}).values():
            if isinstance(value, str):
                texts.append(value)
    redacted, counts = redactor.redact(texts)
    replaced = iter(redacted)
    out = []
    for record in records:
        text = next(replaced) if record.text is not None else None
        values = None
        if record.values is not None:
            values = {k: next(replaced) if isinstance(v, str) else v for k, v in record.values.items()}
        out.append(FetchedRecord(record.item_id, record.locator, record.field, text, values))
    return out, counts


def _export_item(
    connector: Connector, target: _Target, slug: str, bundle: _Bundle, redactor: Redactor
) -> dict[str, Any]:
    """Fetch, redact and write one item; its manifest entry."""
    entry = _manifest_entry(target)
    if not target.locators:  # only other people's records: nothing to fetch
        return entry
    try:
        item_id, live = _resolve(connector, target, redactor)
    except (SourceError, OSError) as exc:
        item_id, live = target.item, ItemProblem(target.item, "failed", one_line(exc))
    if not isinstance(live, ItemRef):
        entry["problems"].append(redactor.one_line(live.reason) if live else "item no longer exists")
        entry["changed_since_scan"] = True
        entry["missing"] = list(target.locators.values())
        return entry
    entry["changed_since_scan"] = target.fingerprint is not None and live.fingerprint != target.fingerprint
    entry["kind"] = "table" if live.fmt == "table" else "document"
    records: list[FetchedRecord] = []
    try:
        for result in connector.fetch(item_id, list(target.locators.values()), key=redactor.safe_locator):
            if isinstance(result, ItemProblem):
                if result.severity != "note":
                    entry["problems"].append(f"{result.severity}: {redactor.one_line(result.reason)}")
            else:
                records.append(result)
    except Exception as exc:  # a connector bug must not lose the rest of the bundle; the type only (no data)
        entry["problems"].append(f"failed: {type(exc).__name__} while fetching")
    found = {locator_json(r.locator) for r in records}
    entry["missing"] = [loc for text, loc in target.locators.items() if text not in found]
    records, counts = _redacted_records(records, redactor)
    entry["records"], entry["redacted_third_party"] = len(records), dict(sorted(counts.items()))
    if not records:
        return entry
    if entry["kind"] == "table":
        rows = [r.values or {} for r in records]
        base = f"tables/{slug}/{safe_path(target.item).replace('/', '_')}"
        entry["file"] = bundle.add(f"{base}.json", _json_bytes(rows), len(rows))
        entry["csv"] = bundle.add(f"{base}.csv", _csv_bytes(rows), len(rows))
    else:
        lines = []
        for r in records:
            obj: dict[str, Any] = {"locator": r.locator, "field": r.field}
            if r.values is not None:
                obj["values"] = r.values
            else:
                obj["text"] = r.text
            lines.append(json.dumps(obj, ensure_ascii=False) + "\n")
        data = "".join(lines).encode("utf-8")
        entry["file"] = bundle.add(f"documents/{slug}/{safe_path(target.item)}.jsonl", data, len(lines))
    return entry


def write_export(
    report: dict[str, Any],
    index: Index,
    config: ScanConfig,
    hasher: SubjectHasher,
    out_dir: Path,
    *,
    engine: Any | None = None,
    opener: Callable[..., Connector] = open_source,
) -> ExportResult:
    """Write ``out_dir/export.zip`` for the subject of ``report`` (a :func:`piiscan.reports.dsar.build_report`).

    Marks each report item checked with ``changed_since_scan`` and adds the report's ``export``
    summary (both additive).  A source that cannot be opened is a warning; the rest is exported.
    """
    redactor = Redactor(config, hasher, own_keys(index, report), engine)
    options: dict[str, Any] = {"follow_symlinks": config.follow_symlinks}
    if config.endpoint_url:
        options["endpoint_url"] = config.endpoint_url
    by_source: dict[str, list[_Target]] = {}
    for target in targets(report, redactor.own):
        by_source.setdefault(target.source, []).append(target)

    private_dir(out_dir)
    final = out_dir / BUNDLE_NAME
    temporary = out_dir / f".{BUNDLE_NAME}.{secrets.token_hex(4)}.tmp"
    warnings: list[str] = []
    sources: list[dict[str, Any]] = []
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            bundle = _Bundle(archive)
            taken: set[str] = set()
            for source, items in by_source.items():
                slug = source_slug(source, taken)
                entry: dict[str, Any] = {"source": source, "folder": slug, "problem": None, "items": []}
                sources.append(entry)
                connector = None
                try:
                    connector = opener(source, **options)
                    for target in items:
                        entry["items"].append(_export_item(connector, target, slug, bundle, redactor))
                except (SourceError, ValueError, ImportError, OSError) as exc:
                    entry["problem"] = redactor.one_line(str(exc)) or type(exc).__name__
                    done = {i["item"] for i in entry["items"]}
                    for target in items:
                        if target.item not in done:
                            entry["items"].append(_unreached(target))
                    warnings.append(f"{source}: cannot fetch ({entry['problem']})")
                finally:
                    if connector is not None:
                        connector.close()
                for item in entry["items"] if not entry["problem"] else ():
                    if item["problems"] and not item["records"]:
                        warnings.append(f"{source}: {item['item']}: {item['problems'][0]}")
            manifest = _manifest(report, bundle.files, sources, redactor.counts)
            archive.writestr("manifest.json", _json_bytes(manifest))
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    os.chmod(final, 0o600)
    summary = _summary(manifest)
    changed = {(s["source"], i["item"]) for s in sources for i in s["items"] if i["changed_since_scan"]}
    checked = {(s["source"], i["item"]) for s in sources for i in s["items"]}
    for item in report["items"]:
        if (item["source"], item["item"]) in checked:
            item["changed_since_scan"] = (item["source"], item["item"]) in changed
    report["export"] = summary
    return ExportResult(final, manifest, summary, warnings)


def _manifest_entry(target: _Target) -> dict[str, Any]:
    """An item's manifest entry before anything is fetched."""
    return {
        "item": target.item,
        "kind": None,
        "file": None,
        "csv": None,
        "records": 0,
        "wanted": len(target.locators),
        "third_party_rows": len(target.third_party),
        "excluded_third_party_records": len(target.excluded),
        "missing": [],
        "changed_since_scan": False,
        "problems": [],
        "redacted_third_party": {},
    }


def _unreached(target: _Target) -> dict[str, Any]:
    return _manifest_entry(target) | {
        "missing": list(target.locators.values()),
        "problems": ["source could not be opened"],
    }


def _manifest(
    report: dict[str, Any], files: list[dict[str, Any]], sources: list[dict[str, Any]], counts: dict[str, int]
) -> dict[str, Any]:
    items = [i for s in sources for i in s["items"]]
    return {
        "schema_version": MANIFEST_VERSION,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "report_generated_at": report["generated_at"],
        "query": {
            "identifiers": [dict(q) for q in report["query"]["identifiers"]],
            "linked": report["query"]["linked"],
        },
        "files": files,
        "sources": sources,
        # a restriction or legal hold standing on the subject (the report's, from the register)
        "restrictions": report.get("restrictions", []),
        "redacted_third_party": dict(sorted(counts.items())),
        "totals": {
            "files": len(files),
            "records": sum(i["records"] for i in items),
            "wanted": sum(i["wanted"] for i in items),
            "missing": sum(len(i["missing"]) for i in items),
            "changed_items": sum(i["changed_since_scan"] for i in items),
            "excluded_third_party_records": sum(i["excluded_third_party_records"] for i in items),
            "problems": sum(len(i["problems"]) for i in items) + sum(bool(s["problem"]) for s in sources),
        },
    }


def _summary(manifest: dict[str, Any]) -> dict[str, Any]:
    """The report's ``export`` object (docs/dsar.md)."""
    totals = manifest["totals"]
    return {
        "file": BUNDLE_NAME,
        "files": totals["files"],
        "records": totals["records"],
        "missing": totals["missing"],
        "redacted_third_party": manifest["redacted_third_party"],
        "changed_items": [
            {"source": s["source"], "item": i["item"]}
            for s in manifest["sources"]
            for i in s["items"]
            if i["changed_since_scan"]
        ],
        "failed_sources": [s["source"] for s in manifest["sources"] if s["problem"]],
    }
