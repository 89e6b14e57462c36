"""Retention rules and audit settings: parsing with one-line errors, matching, dates, and the index columns
they rely on (readable from indexes written before those columns existed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from piiscan.detectors.settings import DetectorSettings
from piiscan.index.retention import (
    AuditSettings,
    Duration,
    parse_as_of,
    parse_duration,
    parse_record_date,
    parse_retention,
    path_matches,
    record_dates,
)
from piiscan.index.store import ITEM_SCHEMA, OCCURRENCE_SCHEMA, create_index
from piiscan.reports.audit import live_occurrences, parse_fail_on
from piiscan.scanner.config import ConfigError, load_config

AS_OF = dt.date(2026, 11, 29)


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "piiscan.toml"
    path.write_text(text)
    return path


RULE = """
[[retention.rules]]
name = "web logs"
match = {{ source = "*", item = "logs/*.log" }}
max_age = {max_age}
date = {date}
"""


@pytest.mark.parametrize(
    ("text", "as_of", "cutoff"),
    [
        ("30d", AS_OF, dt.date(2026, 10, 30)),
        ("6w", AS_OF, dt.date(2026, 10, 18)),
        ("13m", AS_OF, dt.date(2025, 10, 29)),
        ("4y", AS_OF, dt.date(2022, 11, 29)),
        ("1m", dt.date(2026, 3, 31), dt.date(2026, 2, 28)),  # no 31 February: the month's last day
        ("1y", dt.date(2028, 2, 29), dt.date(2027, 2, 28)),
        ("4Y", dt.date(2028, 2, 29), dt.date(2024, 2, 29)),
        (" 7 d ", AS_OF, dt.date(2026, 11, 22)),
    ],
)
def test_durations_give_calendar_cutoffs(text: str, as_of: dt.date, cutoff: dt.date) -> None:
    assert parse_duration(text).cutoff(as_of) == cutoff


def test_duration_text() -> None:
    assert str(parse_duration("13m")) == "13m" and parse_duration("1y").describe() == "1 year"
    assert Duration(30, "d").describe() == "30 days"


@pytest.mark.parametrize(
    ("max_age", "date", "message"),
    [
        ('"30x"', '"mtime"', "max_age '30x' is not a duration"),
        ('"0d"', '"mtime"', "max_age '0d' is not a duration"),
        ('""', '"mtime"', "is not a duration"),
        ("30", '"mtime"', "max_age 30 is not a duration"),
        ('"-3d"', '"mtime"', "is not a duration"),
        ('"30d"', '"path:(\\\\d{4}"', "date path regex is invalid (missing ), unterminated subpattern"),
        ('"30d"', '"ctime"', "unknown date kind 'ctime'"),
        ('"30d"', '"column:"', "date 'column:' needs a column name"),
        ('"30d"', '"path:"', "date 'path:' needs a regular expression"),
        ('"30d"', '"mtime:x"', "date 'mtime' takes no argument"),
        ('"30d"', "7", "date must be mtime, last_modified, column:NAME or path:REGEX"),
    ],
)
def test_bad_rules_are_one_line_errors_naming_the_file_and_rule(
    tmp_path: Path, max_age: str, date: str, message: str
) -> None:
    path = write_config(tmp_path, RULE.format(max_age=max_age, date=date))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"{path}: retention rule 'web logs': ")
    assert message in text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[retention.rules]]\nmax_age = "1d"\ndate = "mtime"\n', "retention rule #1: needs a name"),
        ('[[retention.rules]]\nname = "a"\ndate = "mtime"\n', "retention rule 'a': needs max_age"),
        ('[[retention.rules]]\nname = "a"\nmax_age = "1d"\n', "retention rule 'a': needs date"),
        (
            '[[retention.rules]]\nname = "a"\nmax_age = "1d"\ndate = "mtime"\nkeep = true\n',
            "retention rule 'a': unknown key(s) keep",
        ),
        (
            '[[retention.rules]]\nname = "a"\nmax_age = "1d"\ndate = "mtime"\nmatch = { path = "x" }\n',
            "retention rule 'a': unknown match key(s) path",
        ),
        (
            '[[retention.rules]]\nname = "a"\nmax_age = "1d"\ndate = "mtime"\ncategories = ["e-mail"]\n',
            "retention rule 'a': categories: 'E-MAIL' is not an entity type",
        ),
        (
            '[[retention.rules]]\nname = "a"\nmax_age = "1d"\ndate = "mtime"\n'
            '[[retention.rules]]\nname = "a"\nmax_age = "2d"\ndate = "mtime"\n',
            "retention rule 'a': the name is used twice",
        ),
        ("[retention]\nrule = []\n", "[retention]: unknown key(s) rule"),
        ("[audit]\nstale_days = 0\n", "[audit]: 'stale_days' must be a whole number at least 1"),
        ("[audit]\nunexpected = [1]\n", "[audit]: 'unexpected' must be a list of non-empty strings"),
        ('[audit]\nas_of = "soon"\n', "[audit]: as_of 'soon' is not a date"),
        ('[audit]\nfail_on = ["leaks>0"]\n', "[audit]: fail_on: unknown metric 'leaks'"),
        ("[audit]\nnear_copy_jaccard = 1.5\n", "'near_copy_jaccard' must be a number between 0.0 and 1.0"),
        ("[audit]\ncolour = 1\n", "[audit]: unknown key(s) colour"),
    ],
)
def test_other_config_errors_name_the_file(tmp_path: Path, body: str, message: str) -> None:
    path = write_config(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "\n" not in str(caught.value) and str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_rules_load_with_their_date_columns_as_detector_settings(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        """
[[retention.rules]]
name = "contacts"
match = { source = "sqlite:*", table = "customers" }
categories = ["email_address"]
max_age = "4y"
date = "column:last_purchase"

[[retention.rules]]
name = "orders"
match = { table = "orders" }
max_age = "7y"
date = "column:placed_at"

[[retention.rules]]
name = "exports"
match = { item = "exports/*" }
max_age = "90d"
date = "last_modified"

[audit]
as_of = 2026-11-29
unexpected_extra = ["scratch/*"]
expected = ["logs/*"]
""",
    )
    config = load_config(path)
    assert [r.name for r in config.retention] == ["contacts", "orders", "exports"]
    assert config.retention[0].categories == ("EMAIL_ADDRESS",)
    assert config.detectors.date_columns == ("last_purchase", "placed_at")
    assert config.detectors.fingerprint() != DetectorSettings().fingerprint()  # a new date column forces rescans
    travelled = DetectorSettings.from_dict(asdict(config.detectors))  # how settings reach the workers
    assert travelled.date_columns == ("last_purchase", "placed_at")
    assert config.audit.as_of == AS_OF
    assert config.audit.unexpected[-1] == "scratch/*" and "tmp/*" in config.audit.unexpected
    assert config.audit.expected == ("logs/*",)
    # the command line still overrides the file, and keeps the derived date columns
    override = load_config(path, {"detectors.ner": False})
    assert override.detectors.date_columns == ("last_purchase", "placed_at") and not override.detectors.ner


def test_unexpected_replaces_the_defaults(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, '[audit]\nunexpected = ["dumps/*"]\n'))
    assert config.audit.unexpected == ("dumps/*",)


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("logs/*.log", "files/logs/app-2019-03-02.log", True),
        ("logs/*.log", "logs/app.log", True),
        ("logs/*.log", "files/catalogs/app.log", False),  # a trailing part starts at a '/'
        ("/logs/*.log", "files/logs/app.log", False),  # anchored
        ("/files/logs/*", "files/logs/a/b.log", True),  # '*' crosses '/'
        ("*.BAK", "db/old.bak", True),  # case-insensitive
        ("tmp/*", "files/tmp/customers-backup.csv", True),
        ("*!/*", "exports.zip!/customers.csv", True),
    ],
)
def test_path_globs(pattern: str, path: str, expected: bool) -> None:
    assert path_matches(pattern, path) is expected


def test_rule_matching_and_first_rule_wins() -> None:
    rules = parse_retention(
        {
            "rules": [
                {"name": "emails", "match": {"table": "customers", "column": "email*"}, "categories": ["EMAIL_ADDRESS"],
                 "max_age": "1y", "date": "column:last_purchase"},
                {"name": "contacts", "match": {"source": "sqlite:*", "table": "cust*"}, "max_age": "4y",
                 "date": "column:last_purchase"},
                {"name": "logs", "match": {"item": "logs/*.log"}, "max_age": "30d", "date": "path:(?P<date>\\d{8})"},
            ]
        }
    )  # fmt: skip
    emails, contacts, logs = rules
    db = "sqlite:///srv/crm.sqlite"
    assert emails.matches(db, "customers", True, "email", "EMAIL_ADDRESS")
    assert not emails.matches(db, "customers", True, "phone", "PHONE_NUMBER")
    assert not emails.matches(db, "customers", True, "email", "PERSON")
    assert contacts.matches(db, "main.customers", True, "phone", "PHONE_NUMBER")  # schema-qualified table
    assert not contacts.matches(db, "customers", False, "phone", "PHONE_NUMBER")  # a file named customers
    assert not contacts.matches("postgresql://db/crm", "customers", True, "phone", "PHONE_NUMBER")
    assert logs.matches("file:///srv", "var/logs/app.log", False, None, "EMAIL_ADDRESS")
    from piiscan.index.retention import first_rule

    assert first_rule(rules, db, "customers", True, "email", "EMAIL_ADDRESS") is emails
    assert first_rule(rules, db, "customers", True, "phone", "PHONE_NUMBER") is contacts
    assert first_rule(rules, db, "orders", True, "card", "CREDIT_CARD") is None
    assert logs.date.path_date("logs/app-20190302.log") == dt.date(2019, 3, 2)
    assert logs.date.path_date("logs/app.log") is None


@pytest.mark.parametrize(
    ("regex", "path", "expected"),
    [
        ("(\\d{4}-\\d{2}-\\d{2})", "logs/app-2019-03-02.log", dt.date(2019, 3, 2)),
        ("\\d{4}/\\d{2}/\\d{2}", "exports/2021/07/09/customers.csv", dt.date(2021, 7, 9)),
        ("export-(\\d{4}-\\d{2})", "export-2020-05.csv", dt.date(2020, 5, 1)),
        ("(\\d{4}-\\d{2}-\\d{2})", "logs/app-2019-13-45.log", None),  # not a date
    ],
)
def test_dates_from_paths(regex: str, path: str, expected: dt.date | None) -> None:
    rule = parse_retention({"rules": [{"name": "r", "max_age": "1d", "date": f"path:{regex}"}]})[0]
    assert rule.date.path_date(path) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-03-02", dt.date(2019, 3, 2)),
        ("2019-03-02T23:30:00Z", dt.date(2019, 3, 2)),
        ("2019-03-02T23:30:00-05:00", dt.date(2019, 3, 3)),  # UTC date
        ("2019-03-02 10:00:00", dt.date(2019, 3, 2)),
        ("20190302", dt.date(2019, 3, 2)),
        (1_551_484_800, dt.date(2019, 3, 2)),  # epoch seconds
        (1_551_484_800_000, dt.date(2019, 3, 2)),  # epoch milliseconds
        ("1551484800", dt.date(2019, 3, 2)),
        (1_551_484_800.5, dt.date(2019, 3, 2)),
        (dt.date(2020, 1, 1), dt.date(2020, 1, 1)),
        (dt.datetime(2020, 1, 1, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-2))), dt.date(2020, 1, 2)),
        ("soon", None),
        ("2019-13-45", None),
        ("", None),
        (None, None),
        (True, None),
        (-5, None),
    ],
)
def test_record_dates_parse_iso_and_epoch_values(value: object, expected: dt.date | None) -> None:
    assert parse_record_date(value) == expected


def test_record_dates_take_the_first_date_column_the_batch_has() -> None:
    batch = pa.record_batch(
        {
            "email": ["a@example.com", "b@example.com", "c@example.com"],
            "Last_Purchase": ["2019-01-01", "garbage", None],
            "created": [1_551_484_800, 0, 1_551_484_800],
        }
    )
    assert record_dates(batch, ("missing", "last_purchase", "created")) == [dt.date(2019, 1, 1), None, None]
    assert record_dates(batch, ("created",)) == [dt.date(2019, 3, 2), None, dt.date(2019, 3, 2)]
    assert record_dates(batch, ("missing",)) is None


def test_as_of_and_fail_on_grammar() -> None:
    assert parse_as_of("2026-11-29") == AS_OF and parse_as_of(dt.datetime(2026, 11, 29, 5)) == AS_OF
    threshold = parse_fail_on(" failed-items >= 5 ")
    assert (threshold.metric, threshold.op, threshold.value) == ("failed-items", ">=", 5)
    assert threshold.holds(5) and not threshold.holds(4) and str(threshold) == "failed-items>=5"
    for bad in ("failed-items>", "failed-items=>5", "retention>0", "unexpected>-1", "unexpected > 1.5"):
        with pytest.raises(ValueError):
            parse_fail_on(bad)


def test_audit_settings_match_free_text_fields_and_special_category_words() -> None:
    settings = AuditSettings(expected=("crm/customers.csv#notes",))
    assert settings.is_free_text("notes") and settings.is_free_text("$.tickets[*].body")
    assert settings.is_free_text("AdditionalInfo") and not settings.is_free_text("notebook_id")
    assert settings.is_expected("files/crm/customers.csv", "notes")
    assert not settings.is_expected("files/crm/customers.csv", "email")
    assert settings.unexpected_pattern("files/tmp/x.csv", None) == "tmp/*"
    assert settings.unexpected_pattern("files/crm/customers.csv", "notes") is None
    assert settings.special_hints("trade_union_member") == [("trade_union", "trade union")]
    assert settings.special_hints("reunion_date") == []
    assert settings.special_hints("files/hr/sickness_absence.csv", path=True) == [("health", "sickness")]
    assert settings.special_hints("EthnicOrigin") == [("ethnicity", "ethnic")]
    assert settings == parse_audit_round_trip(settings)


def parse_audit_round_trip(settings: AuditSettings) -> AuditSettings:
    from piiscan.index.retention import parse_audit

    return parse_audit(settings.to_dict(), AuditSettings())


def test_indexes_written_before_the_new_columns_still_read(tmp_path: Path) -> None:
    """Item rows without mtime/records and occurrences without record_date read back as nulls."""
    index = create_index(tmp_path / "index", b"k" * 32)
    old_items = pa.schema([f for f in ITEM_SCHEMA if f.name not in ("mtime", "records")])
    old_occurrences = pa.schema([f for f in OCCURRENCE_SCHEMA if f.name != "record_date"])
    items = pa.Table.from_pylist(
        [{"source": "file:///x", "item": "a.txt", "scan_id": "S1", "status": "ok", "occurrences": 1}],
        schema=old_items,
    )
    (index.root / "items").mkdir(parents=True)
    pq.write_table(items, index.root / "items" / "S1-0000.parquet")
    occurrences = pa.Table.from_pylist(
        [{"subject_key": "ab" * 16, "entity_type": "EMAIL_ADDRESS", "source": "file:///x", "item": "a.txt",
          "locator": '{"line":1}', "preview": "a***@example.com", "scan_id": "S1"}],
        schema=old_occurrences,
    )  # fmt: skip
    (index.root / "occurrences" / "prefix=a").mkdir(parents=True)
    pq.write_table(occurrences, index.root / "occurrences" / "prefix=a" / "S1-0000.parquet")
    states = index.item_states()
    assert states.column("mtime").to_pylist() == [None] and states.column("records").to_pylist() == [None]
    found = index.occurrences_for(["ab" * 16])
    assert found.num_rows == 1 and found.column("record_date").to_pylist() == [None]
    assert live_occurrences(index).column("record_date").to_pylist() == [None]
