"""End to end: generate an estate with planted subjects, scan it with 2 workers, look them up."""

from __future__ import annotations

import json
import re

import pyarrow.parquet as pq
import pytest

from piiscan.detectors.identifiers import normalise_value
from piiscan.detectors.settings import DetectorSettings
from piiscan.index.keys import SubjectHasher
from piiscan.index.lookup import Query, lookup
from piiscan.index.store import open_index
from tests.conftest import TEST_KEY_HEX, lookup_json, run_cli
from tests.estate_test_support import generate_estate, iter_planted_values, phone_forms


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e")
    estate = generate_estate(base / "estate", size_mb=0.3, seed=7)
    index = base / "index"
    proc = run_cli("scan", str(estate.root), "--index", str(index), "--workers", "2", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return estate, index, json.loads(proc.stdout)


def expected(estate, location) -> tuple:
    sqlite = location.source == "sqlite"
    source = f"sqlite:///{estate.root / 'crm.sqlite'}" if sqlite else f"file://{estate.root}"
    return (source, location.item, location.locator_json, index_field(location), location.entity_type)


def index_field(location) -> str | None:
    """The estate names JSON fields by dotted keys; the index by JSON path from the document root."""
    if location.field is None:
        return None
    if "json_path" in location.locator:
        return re.sub(r"\[\d+\]", "[*]", location.locator["json_path"]) + "." + location.field
    if ".json" in location.item:
        return "$." + location.field
    return location.field


def found(locations) -> set[tuple]:
    return {
        (
            loc["source"],
            loc["item"],
            json.dumps(loc["locator"], sort_keys=True, separators=(",", ":")),
            loc["field"],
            loc["entity_type"],
        )
        for loc in locations
    }


def test_scan_summary(scanned):
    _, _, summary = scanned
    assert summary["status"] == "completed"
    assert summary["items_failed"] == 0
    assert summary["items_scanned"] >= 10
    assert any("photo.bin" in s["item"] for s in summary["skipped"])
    for entity in ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "UK_NINO", "PERSON", "LOCATION"):
        assert summary["findings_by_entity"].get(entity, 0) > 0, entity


def test_every_planted_location_is_found_and_linked_ones_only_with_linked(scanned):
    """A record holding the e-mail is found directly; with --linked every identifier of
    the subject is found at its exact field, and records without the e-mail only then."""
    estate, index_dir, _ = scanned
    index = open_index(index_dir)
    hasher = SubjectHasher(bytes.fromhex(TEST_KEY_HEX))
    for planted in estate.planted:
        query = [Query("EMAIL_ADDRESS", planted.subject.email.lower(), "")]
        direct_records = {f[:3] for f in found(lookup(index, hasher, query).locations)}
        linked = lookup(index, hasher, query, linked=True).locations
        with_links = found(linked)
        for location in planted.locations:
            want = expected(estate, location)
            assert want in with_links, (planted.role, want)
            if location.linked_only:
                assert want[:3] not in direct_records, (planted.role, want)
                same_record = [loc["via"] for loc in linked if next(iter(found([loc])))[:3] == want[:3]]
                assert all(same_record), "a record reached only by a link names its link"
                assert location.via in {via["entity_type"] for via in same_record}, (planted.role, want)
            else:
                assert want[:3] in direct_records, (planted.role, want)


def test_demo_subject_through_the_cli(scanned):
    estate, index, _ = scanned
    demo = estate.demo
    result = lookup_json(index, "--email", demo.subject.email.upper(), "--linked")
    got = found(result["locations"])
    assert {expected(estate, loc) for loc in demo.locations} <= got
    assert any(loc["via"] for loc in result["locations"])
    assert demo.subject.email not in json.dumps(result).lower()


def test_phone_lookup_in_any_format(scanned):
    estate, index, _ = scanned
    demo = estate.demo.subject
    phone_locations = {expected(estate, loc) for loc in estate.demo.locations if loc.entity_type == "PHONE_NUMBER"}
    assert phone_locations
    for form in phone_forms(demo.phone):
        assert normalise_value("PHONE_NUMBER", form, DetectorSettings()) == demo.phone_e164
        assert phone_locations <= found(lookup_json(index, "--phone", form)["locations"])


def test_no_planted_identifier_is_stored_in_the_index(scanned):
    """Neither in the raw bytes of any index file nor in any decoded Parquet column or JSON file."""
    estate, index, _ = scanned
    settings = DetectorSettings()
    values = set()
    for value in iter_planted_values(estate):
        values.add(value.lower())
        for entity in ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "UK_NINO", "UK_NHS"):
            normalised = normalise_value(entity, value, settings)
            if normalised and len(normalised) >= 8:
                values.add(normalised.lower())
    values = {v for v in values if len(v) >= 8}
    assert len(values) > 1000
    files = [p for p in index.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files)
    for path in files:
        raw = path.read_bytes().lower()
        texts = [raw.decode("latin-1")]
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            texts += [json.dumps(table.column(name).to_pylist(), default=str).lower() for name in table.column_names]
        for text in texts:
            leaked = [v for v in values if v in text]
            assert not leaked, f"{path.name} holds {len(leaked)} planted value(s)"
