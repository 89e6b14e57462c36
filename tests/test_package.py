"""The installed shape: one ``piiscan`` namespace, a light ``import piiscan``, and the Python API
(``piiscan.scan / detect / lookup / audit``) giving what the command line gives, on the bundled example."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import piiscan
from piiscan.app.api import AuditResult, Finding
from piiscan.index.lookup import LookupResult
from piiscan.scanner.runner import ScanSummary
from tests.conftest import REPO, lookup_json, run_cli

TOP_LEVEL_FOLDERS = ("scanner", "connectors", "detectors", "reports")


def test_import_piiscan_loads_neither_the_application_nor_the_nlp_libraries() -> None:
    code = (
        "import sys, piiscan; "
        "loaded = [m for m in ('piiscan.app', 'piiscan.scanner.runner', 'presidio_analyzer', 'spacy', 'pyarrow') "
        "if m in sys.modules]; print(piiscan.__version__, loaded)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert proc.stdout.strip() == f"{piiscan.__version__} []"


def test_the_layers_are_reached_through_the_piiscan_namespace() -> None:
    for folder in TOP_LEVEL_FOLDERS:
        module = __import__(f"piiscan.{folder}", fromlist=["_"])
        assert Path(module.__file__).resolve().parent == REPO / folder


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail bob@example.com", [Finding("EMAIL_ADDRESS", 5, 20, 1.0, "email")]),
        ("nothing personal here", []),
        ("card 4111 1111 1111 1112 fails Luhn", []),
    ],
)
def test_detect_returns_typed_findings(text: str, expected: list[Finding]) -> None:
    assert piiscan.detect(text, **{"detectors.ner": False}) == expected


def test_detect_takes_many_texts_in_order() -> None:
    found = piiscan.detect(["bob@example.com", "call 020 7946 0958"], **{"detectors.ner": False})
    assert [f.entity_type for f in found] == ["EMAIL_ADDRESS", "PHONE_NUMBER"]


def test_scan_lookup_and_audit_give_what_the_command_line_gives(tmp_path: Path) -> None:
    estate = shutil.copytree(REPO / "examples" / "estate", tmp_path / "estate")
    index = tmp_path / "index"
    summary = piiscan.scan(estate, index=index, workers=1)
    assert isinstance(summary, ScanSummary) and summary.status == "completed" and summary.items_scanned > 0

    result = piiscan.lookup(email="alice.smith@example.com", index=index, linked=True)
    assert isinstance(result, LookupResult)
    cli = lookup_json(index, "--email", "alice.smith@example.com", "--linked")
    assert result.to_dict() == cli

    report = piiscan.audit(index=index, fail_on=["failed-items>0"])
    assert isinstance(report, AuditResult)
    assert report.failed is False and report.report["failed"] is False


def test_a_bad_identifier_is_a_one_line_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a valid PHONE_NUMBER value"):
        piiscan.lookup(phone="12", index=tmp_path / "index")


def test_unknown_attributes_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="no attribute 'scanner_api'"):
        piiscan.scanner_api  # noqa: B018


def test_python_dash_m_piiscan_is_the_command_line() -> None:
    proc = run_cli("--version", check=True)
    assert proc.stdout.strip() == f"piiscan {piiscan.__version__}"


def test_the_wheel_installs_only_the_piiscan_package(tmp_path: Path) -> None:
    """Nothing outside ``piiscan/`` (no top-level ``scanner`` to collide with PyPI's), data files included."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("piiscan-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"piiscan", wheel.name.split("-py3")[0] + ".dist-info"}
    for folder in TOP_LEVEL_FOLDERS:
        assert f"piiscan/{folder}/__init__.py" in names
    assert "piiscan/detectors/data/towns_en.txt" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_the_command_exits_with_its_code_and_everything_it_printed(tmp_path: Path) -> None:
    # the command line ends with os._exit (no interpreter teardown, where Arrow's threads can abort):
    # its exit codes and its whole output must survive that
    text = "\n".join(f"mail ann.lee{i}@example.org now" for i in range(3000))
    (tmp_path / "notes.txt").write_text(text, encoding="utf-8")
    proc = run_cli("detect", str(tmp_path / "notes.txt"))
    assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 3000, proc.stderr
    assert run_cli("--help").returncode == 0
    usage = run_cli("scan", "--no-such-option")
    assert usage.returncode == 2 and "unrecognized arguments" in usage.stderr
    missing = run_cli("lookup", "--index", str(tmp_path / "none"), "--email", "a@example.com")
    assert missing.returncode == 1 and missing.stderr.startswith("piiscan: error:")
