"""The registry: which connector (and eraser) a source string gets, and the options it takes."""

from __future__ import annotations

import pickle
import sqlite3
from pathlib import Path

import pytest

from piiscan.connectors import registry
from piiscan.connectors.base import OptionError
from piiscan.connectors.erase_files import LocalFileEraser
from piiscan.connectors.erasers import open_eraser
from piiscan.connectors.local import LocalConnector, LocalOptions
from piiscan.connectors.registry import open_source, redact_spec, register
from piiscan.connectors.s3 import S3Options
from piiscan.connectors.sql.sqlite import SQLiteConnector


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


def test_one_entry_names_reader_and_eraser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert registry.connector_class("postgres") is registry.connector_class("postgresql")
    assert registry.eraser_class("file") is LocalFileEraser
    with pytest.raises(ValueError, match=r"piiscan cannot change smb:// sources"):
        registry.eraser_class("smb")
    with pytest.raises(ValueError, match=r"^smb://host/share: piiscan cannot change smb:// sources; erase there"):
        open_eraser("smb://host/share", lambda data: "")
    monkeypatch.setattr(registry, "SOURCE_KINDS", dict(registry.SOURCE_KINDS))
    kind = register(
        ("folder", "dir"),
        "piiscan.connectors.local:LocalConnector",
        eraser="piiscan.connectors.erase_files:LocalFileEraser",
    )
    assert registry.source_kind("dir") is kind and registry.eraser_class("folder") is LocalFileEraser
    assert isinstance(open_eraser(f"folder://{tmp_path}", lambda data: ""), LocalFileEraser)


def test_options_are_frozen_picklable_dataclasses_checked_from_their_fields(tmp_path: Path) -> None:
    connector = open_source(str(tmp_path), include="*.csv", follow_symlinks=True, endpoint_url="http://s3")
    assert connector.options == LocalOptions(include=("*.csv",), follow_symlinks=True)  # endpoint_url: not a field
    assert pickle.loads(pickle.dumps(connector.options)) == connector.options
    assert LocalConnector(str(tmp_path), LocalOptions(exclude=["tmp"])).exclude == ("tmp",)  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="option 'follow_symlinks' must be true or false"):
        LocalOptions(follow_symlinks="yes")  # type: ignore[arg-type]
    with pytest.raises(OptionError, match=r"^sources\.s3\.region: must be a string$"):
        S3Options.from_mapping({"region": 3}, "sources.s3")
    with pytest.raises(OptionError, match=r"^sources\.s3: unknown option 'regoin' \(takes endpoint_url, exclude, "):
        S3Options.from_mapping({"regoin": "eu"}, "sources.s3")
    assert S3Options.from_mapping({"include": ["a/*"], "region": "eu-west-2"}, "s").region == "eu-west-2"


def test_options_are_documented_from_field_metadata() -> None:
    docs = {d.name: d for d in LocalOptions.describe()}
    assert set(docs) == {"include", "exclude", "follow_symlinks"}
    assert docs["follow_symlinks"].kind == "true or false" and docs["follow_symlinks"].default is False
    assert docs["include"].kind == "a list of strings" and "glob patterns" in docs["include"].doc
    assert all(d.doc for kind in (LocalOptions, S3Options) for d in kind.describe())
