"""The base install scans files and SQLite; a source or document format whose library (an extra) is missing
fails where it is used, naming the extra, never at ``import piiscan``."""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from piiscan.connectors.registry import BUILT_IN, SourceKind, connector_class, open_source
from tests.conftest import REPO
from tests.connectors.conformance import reasons, scan_file
from tests.connectors.test_documents import make_pdf, pdf_pages, write_docx, write_xlsx

EXTRAS = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]


@pytest.mark.parametrize("kind", [k for k in BUILT_IN if k.extra], ids=lambda k: k.schemes[0])
def test_each_optional_source_names_an_extra_that_exists(kind: SourceKind) -> None:
    assert kind.extra in EXTRAS and f"pip install 'piiscan[{kind.extra}]'" in (kind.install_hint or "")
    assert set(EXTRAS) >= {"s3", "postgres", "mysql", "smb", "office", "dask", "all"}
    assert "piiscan[all]" in EXTRAS["test"]


def test_a_missing_library_fails_at_connector_class_with_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if not installed: importing it raises ImportError
    monkeypatch.delitem(sys.modules, "piiscan.connectors.s3", raising=False)
    with pytest.raises(ImportError, match=r"S3 sources require boto3: pip install 'piiscan\[s3\]'"):
        connector_class("s3")
    with pytest.raises(ImportError, match=r"piiscan\[s3\]"):
        open_source("s3://bucket/prefix")


@pytest.mark.parametrize(
    ("name", "write", "module", "reason"),
    [
        ("book.xlsx", write_xlsx, "openpyxl", "Excel workbook not read: openpyxl is not installed"),
        ("letter.docx", write_docx, "docx", "Word document not read: python-docx is not installed"),
        ("scan.pdf", lambda p: p.write_bytes(make_pdf(pdf_pages())), "pypdf", "PDF not read: pypdf is not installed"),
    ],
)
def test_documents_without_their_library_are_skipped_naming_the_extra(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    write: Callable[[Path], object],
    module: str,
    reason: str,
) -> None:
    path = tmp_path / name
    write(path)
    monkeypatch.setitem(sys.modules, module, None)
    assert reasons(scan_file(path)) == [("skipped", f"{reason} (pip install 'piiscan[office]')")]
