"""The DSAR page in a real browser: headless Chromium renders report.html from a real scan and ``piiscan dsar``.

Chromium must load it with exit code 0, build the expected sections and counts,
log no console error and make no network request from the page (the page is
self-contained: inline CSS, no script, no external asset), and take a
screenshot.  A control page with a script error and an external image checks
that these checks do catch problems.  Skips when Chromium is absent (Debian:
``apt-get install chromium``), fails instead under ``PIISCAN_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, run_cli, shared_dataset
from tests.db_support import unavailable

JANE = "jane@chinookcorp.com"
SECTIONS = (
    "Identifiers queried",
    "Summary",
    "Locations by system",
    "Related records (through foreign keys)",
    "Could not be scanned",
    "Scans used",
)


def _chromium() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        unavailable("headless Chromium (/usr/bin/chromium, Debian package 'chromium') is not installed")
    assert path is not None
    return path


@dataclass
class Rendered:
    returncode: int
    dom: str
    console: list[str]  # console messages the page logged (errors, uncaught exceptions)
    requests: list[str]  # network URLs the page itself asked for


def _render(page: Path, tmp: Path, *extra: str) -> Rendered:
    """Load ``page`` in headless Chromium (its own profile in ``tmp``) and dump the DOM, logging and net log."""
    tmp.mkdir(parents=True, exist_ok=True)
    net_log = tmp / "net-log.json"
    proc = _headless(
        tmp / "profile", "--enable-logging=stderr", "--v=0", f"--log-net-log={net_log}", *extra, "--dump-dom", page=page
    )
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    return Rendered(proc.returncode, proc.stdout, console, _page_requests(net_log))


def _headless(profile: Path, *flags: str, page: Path) -> subprocess.CompletedProcess[str]:
    """Headless Chromium with its own profile, no background traffic, then ``flags``, on ``page``."""
    base = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    command = [_chromium(), *base, f"--user-data-dir={profile}", *flags, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


def _page_requests(net_log: Path) -> list[str]:
    """Network URLs requested on behalf of a file:// page (the browser's own update checks are not the page's)."""
    if not net_log.exists():
        return []
    text = net_log.read_text(errors="replace").rstrip().rstrip(",")
    if not text.endswith("}"):  # a log cut short at exit: close the event list
        text += "]}"
    data = json.loads(text)
    names = {code: name for name, code in data["constants"]["logEventTypes"].items()}
    urls = []
    for event in data.get("events", []):
        params = event.get("params") or {}
        if names.get(event["type"]) != "URL_REQUEST_START_JOB" or "url" not in params:
            continue
        if "file://" in str(params.get("network_isolation_key", "")) and not params["url"].startswith("file:"):
            urls.append(params["url"])
    return urls


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Jane Peacock's report from a scanned Chinook plus a folder with a file that fails: (report.html, data)."""
    _chromium()
    tmp = tmp_path_factory.mktemp("browser")
    database = shared_dataset("chinook", "Chinook_Sqlite.sqlite")
    index = tmp / "index"
    run_cli("scan", f"sqlite:///{database}", "--index", str(index), "--no-ner", "--quiet", check=True)
    broken = tmp / "broken"
    broken.mkdir()
    (broken / "orders.parquet").write_bytes(b"PAR1 not parquet")
    (broken / "readme.txt").write_text("nothing personal here\n")
    run_cli("scan", str(broken), "--index", str(index), "--no-ner", "--quiet", check=True)
    out = tmp / "out"
    run_cli("dsar", "--index", str(index), "--email", JANE, "--out", str(out), check=True)
    return out / "report.html", json.loads((out / "report.json").read_text())


def _cell(text: str) -> str:
    """A table cell's text as the DOM serialises it (apostrophes are not escaped there)."""
    return re.escape(text).replace("'", "(?:'|&#x27;|&#39;)")


def test_the_report_renders_in_chromium_with_its_sections_and_counts(
    report: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    page, data = report
    rendered = _render(page, tmp_path)
    assert rendered.returncode == 0
    dom = rendered.dom
    assert "<h1>Subject access report (GDPR Art. 15)</h1>" in dom
    for section in SECTIONS:
        assert f"<h2>{section}</h2>" in dom, section
    summary = data["summary"]
    for label, count in (
        ("Locations holding the subject's data", summary["locations"]),
        ("Related rows (through foreign keys)", summary["related_rows"]),
        ("… of which hold other people's data", summary["related_third_party"]),
        ("Items that could not be scanned", summary["incomplete"]),
        ("Shared identifiers not followed", summary["ambiguous_identifiers"]),
    ):
        assert re.search(f"<td>{_cell(label)}</td><td>{count}</td>", dom), label
    assert dom.count('<tr class="third-party">') == summary["related_third_party"] == 21
    assert dom.count('<tr class="ambiguous">') == len(data["ambiguous_identifiers"]) == 1
    assert 'id="linked-identifiers"' in dom and 'id="ambiguous-identifiers"' in dom
    location_rows = sum(len(i["locations"]) for s in data["systems"] for i in s["items"])
    assert location_rows == summary["locations"] and dom.count("<td>Employee" + "Id=3</td>") == location_rows
    assert "orders.parquet" in dom
    assert JANE not in dom.lower()


def test_the_page_logs_no_console_error_and_requests_nothing(
    report: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    page, _ = report
    rendered = _render(page, tmp_path)
    assert rendered.returncode == 0
    assert rendered.console == []
    assert rendered.requests == []
    html = page.read_text()
    assert "http://" not in html and "https://" not in html
    tags = _Tags()
    tags.feed(html)
    assert not [t for t, _ in tags.tags if t in ("script", "link", "img", "iframe", "object", "embed")]
    assert all(not attrs.get("src") and not attrs.get("href") for _, attrs in tags.tags)
    assert "url(" not in html and "@import" not in html  # no asset pulled in by the inline CSS either


def test_a_screenshot_is_a_png(report: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    page, _ = report
    shot = tmp_path / "report.png"
    flags = ("--hide-scrollbars", "--window-size=1200,1600", f"--screenshot={shot}")
    proc = _headless(tmp_path / "profile", *flags, page=page)
    assert proc.returncode == 0, proc.stderr[-2000:]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    width, height = struct.unpack(">II", png[16:24])  # IHDR
    assert (width, height) == (1200, 1600)


def test_the_checks_catch_a_script_error_and_a_network_request(tmp_path: Path) -> None:
    """Control: a page with a console error, an uncaught exception and an external image fails each check."""
    _chromium()
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><body><p>control</p>"
        '<img src="http://127.0.0.1:9/pixel.png">'
        '<script>console.error("control error"); throw new Error("control exception");</script>'
        "</body></html>"
    )
    rendered = _render(bad, tmp_path / "run")
    assert rendered.returncode == 0 and "<p>control</p>" in rendered.dom
    assert any("control error" in line for line in rendered.console)
    assert any("control exception" in line for line in rendered.console)
    assert rendered.requests == ["http://127.0.0.1:9/pixel.png"]


def test_the_schema_file_is_next_to_the_format_doc() -> None:
    """docs/dsar.md points to docs/dsar.schema.json; both ship in the repository."""
    assert "dsar.schema.json" in (REPO / "docs" / "dsar.md").read_text()
    schema = json.loads((REPO / "docs" / "dsar.schema.json").read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
