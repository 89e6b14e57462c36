"""open_source: which connector a command-line source string gets."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from piiscan.connectors import registry
from piiscan.connectors.local import LocalConnector
from piiscan.connectors.registry import open_source, redact_spec, register
from piiscan.connectors.sqlite import SQLiteConnector


def test_paths_and_file_urls_are_local(tmp_path: Path) -> None:
    assert isinstance(open_source(str(tmp_path)), LocalConnector)
    connector = open_source(f"file://{tmp_path}", exclude=["*.tmp"])
    assert isinstance(connector, LocalConnector) and connector.exclude == ("*.tmp",)


def test_sqlite_urls_and_sqlite_files_given_as_paths(tmp_path: Path) -> None:
    db = tmp_path / "app.sqlite3"
    sqlite3.connect(db).execute("CREATE TABLE t (a)").connection.close()
    fake = tmp_path / "notes.db"
    fake.write_text("not sqlite")
    assert isinstance(open_source(f"sqlite:///{db}", include_views=True), SQLiteConnector)
    assert isinstance(open_source(str(db)), SQLiteConnector)
    assert isinstance(open_source(str(fake)), LocalConnector)  # the name alone is not enough
    assert open_source(str(db)).source == f"sqlite:///{db}"


def test_scan_wide_options_that_do_not_apply_are_dropped(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    sqlite3.connect(db).execute("CREATE TABLE t (a)").connection.close()
    connector = open_source(f"sqlite:///{db}", include=["*.csv"], exclude=[], follow_symlinks=True)
    assert isinstance(connector, SQLiteConnector)
    assert [i.item_id for i in connector.enumerate()] == ["t"]  # file globs do not filter tables
    with pytest.raises(TypeError):
        open_source(f"sqlite:///{db}", no_such_option=1)


def test_unknown_scheme() -> None:
    with pytest.raises(ValueError) as caught:
        open_source("xyz://host/path")
    supported = "file, mariadb, mysql, postgres, postgresql, s3, smb, sqlite"
    assert str(caught.value) == f"unknown source scheme 'xyz://' (supported: {supported})"


def test_lazy_registration_with_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "SOURCE_KINDS", dict(registry.SOURCE_KINDS))
    register("s3", "piiscan.connectors.no_such_module:S3Connector", "S3 requires boto3: pip install boto3")
    with pytest.raises(ImportError, match="S3 requires boto3: pip install boto3"):
        open_source("s3://bucket/prefix")


@pytest.mark.parametrize(
    ("spec", "shown"),
    [
        ("postgresql://scan:s3cret@db:5432/crm", "postgresql://scan@db:5432/crm"),
        ("mysql://:s3cret@db/crm", "mysql://db/crm"),
        (
            "postgresql://db/crm?user=scan&password=s3cret&sslmode=require",
            "postgresql://db/crm?user=scan&sslmode=require",
        ),
        ("postgresql://scan@db/crm", "postgresql://scan@db/crm"),
        ("sqlite:///data/crm.db", "sqlite:///data/crm.db"),
        ("exports/alice.csv", "exports/alice.csv"),
        ("postgresql://scan:s3cret@[::1/crm", "postgresql://***@[::1/crm"),  # unparseable: user info dropped
    ],
)
def test_redact_spec_drops_passwords(spec: str, shown: str) -> None:
    assert redact_spec(spec) == shown
