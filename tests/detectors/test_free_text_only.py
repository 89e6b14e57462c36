"""DATE_TIME, a quasi-identifier of free text: found in texts and free-text columns, never as a column's type,
never in other columns' values, never masked out of item names; the new identifier types in table columns."""

from __future__ import annotations

import pyarrow as pa
import pytest

from piiscan.detectors.engine import DetectionEngine
from piiscan.detectors.identifiers import LINKABLE_ENTITIES, build_identifier_detectors
from piiscan.detectors.settings import DetectorSettings
from piiscan.index.sanitise import Sanitiser

#: The rules only (no spaCy model): DATE_TIME is built because ``ner`` is on, PERSON/LOCATION are not wanted.
RULES = DetectorSettings(disabled_entities=("PERSON", "LOCATION"))


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(RULES)


def test_dates_in_text_are_date_time(engine: DetectionEngine) -> None:
    texts = [
        "The hearing was held on 7 March 1989.",
        "2026-11-01T00:00:07Z INFO client 203.0.113.7 seen at 2026-10-31 23:59",  # the line's own stamp is not
    ]
    rows = [(r["row"], r["entity_type"], r["normalised"]) for r in engine.detect_texts(texts).to_pylist()]
    assert rows == [
        (0, "DATE_TIME", "1989-03-07"),
        (1, "IP_ADDRESS", "203.0.113.7"),
        (1, "DATE_TIME", "2026-10-31T23:59"),
    ]


def test_a_column_of_dates_is_no_date_time_column_but_free_text_is_searched(engine: DetectionEngine) -> None:
    batch = pa.record_batch(
        {
            "visited": ["2024-01-02", "2024-02-03", "2024-03-04"],
            "status": ["shipped 2024-01-02", "returned 2024-02-03 by 10:00", "lost"],
            "notes": ["The parcel left the depot on 7 March 2024 at 10:30", "Nothing to add here today", ""],
            "mac": ["00:1A:2B:3C:4D:5E", "00-1A-2B-3C-4D-5F", "001a.2b3c.4d60"],
            "website": ["https://example.com/users/jsmith", "www.example.org", "https://example.net/"],
            "wallet": ["16L5yRNPTuciSgXGHqYwn9N6NeoKqopAu", "bc1qqypqxpq9qcrsszg2pvxq6rs0zqg3yyc5fcj4z3", ""],
        }
    )
    columns = list(batch.schema.names)
    table = engine.detect_table(batch, columns, plan_key=("src", "item"))
    by_field = {f: sorted({r["entity_type"] for r in table.to_pylist() if r["field"] == f}) for f in columns}
    assert by_field == {
        "visited": [],
        "status": [],
        "notes": ["DATE_TIME"],
        "mac": ["MAC_ADDRESS"],
        "website": ["URL"],
        "wallet": ["CRYPTO"],
    }
    plans = engine.plan(batch, columns, ("src", "item"))
    assert (plans["mac"].entity, plans["website"].entity, plans["wallet"].entity) == ("MAC_ADDRESS", "URL", "CRYPTO")
    assert plans["visited"].kind != "identifier"


def test_dated_item_names_are_not_masked() -> None:
    sanitiser = Sanitiser(RULES)
    assert sanitiser.mask("logs/2026-11-01.log") == ("logs/2026-11-01.log", False)
    assert sanitiser.mask("exports/jane@example.com 7 March 2024.csv")[1] is True  # the e-mail address is masked


def test_identifier_only_scans_leave_dates_alone() -> None:
    engine = DetectionEngine(DetectorSettings(ner=False))
    assert engine.detect_texts(["held on 7 March 1989"]).num_rows == 0


def test_date_time_links_no_one_and_wallets_do() -> None:
    assert "DATE_TIME" not in LINKABLE_ENTITIES
    assert "CRYPTO" in LINKABLE_ENTITIES
    assert {"URL", "MAC_ADDRESS", "CRYPTO", "DATE_TIME"} <= {d.entity for d in build_identifier_detectors(RULES)}
