"""Issue 5's acceptance: a mixed estate of every supported format, on S3 and on an SMB share, scanned through
the command line; ``lookup --email`` returns each planted place with its documented locator -- the same
locator a scan of the files on local disk gives."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import S3_REGION, lookup_json, run_cli
from tests.connectors.test_archives import tar_bytes, zip_bytes
from tests.connectors.test_documents import make_pdf, write_docx, write_xlsx
from tests.connectors.test_mail import simple_message
from tests.connectors.test_smb import Server, server, smb_password  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("aws_env")  # dummy AWS credentials for the local S3 server

#: file -> (planted address, the locator keys its format documents)
PLANTED: dict[str, tuple[str, set[str]]] = {
    "crm/contacts.csv": ("csv.person@example.com", {"row"}),
    "crm/people.xlsx": ("xlsx.person@example.com", {"sheet", "row"}),
    "letters/letter.docx": ("docx.person@example.com", {"paragraph"}),
    "invoices/invoice.pdf": ("pdf.person@example.com", {"page", "line"}),
    "web/page.html": ("html.person@example.com", {"line"}),
    "mail/message.eml": ("eml.person@example.com", {"message", "header"}),
    "backup/export.zip": ("zip.person@example.com", {"member", "row"}),
    "backup/logs.tar.gz": ("tar.person@example.com", {"member", "line"}),
    "notes/notes.txt": ("txt.person@example.com", {"line"}),
    "crm/contacts.tsv": ("tsv.person@example.com", {"row"}),
    "crm/export.jsonl": ("jsonl.person@example.com", {"row"}),
    "support/tickets.json": ("json.person@example.com", {"json_path"}),
    "analytics/newsletter.parquet": ("parquet.person@example.com", {"row"}),
    "logs/old.log.gz": ("gz.person@example.com", {"line"}),
    "mail/archive.mbox": ("mbox.person@example.com", {"message", "header"}),
}


def build_estate(root: Path) -> Path:
    """Every supported format, one planted address each."""
    for name in PLANTED:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
    address = {name: email for name, (email, _) in PLANTED.items()}
    (root / "crm/contacts.csv").write_text(f"name,email\nAnn Other,{address['crm/contacts.csv']}\n")
    write_xlsx(root / "crm/people.xlsx", address["crm/people.xlsx"])
    write_docx(root / "letters/letter.docx", address["letters/letter.docx"], "cell.other@example.com")
    pdf = make_pdf([["Invoice"], ["Contact", f"Email {address['invoices/invoice.pdf']}"]])
    (root / "invoices/invoice.pdf").write_bytes(pdf)
    (root / "web/page.html").write_text(f"<html><body>\n<p>Write to {address['web/page.html']}</p>\n</body></html>\n")
    message = simple_message(address["mail/message.eml"], "Hello, see you soon.")
    (root / "mail/message.eml").write_bytes(message.as_bytes())
    inner = f"name,email\nBo Ng,{address['backup/export.zip']}\n".encode()
    (root / "backup/export.zip").write_bytes(zip_bytes({"exports/customers.csv": inner}))
    log = f"2026-11-01 login ok user={address['backup/logs.tar.gz']}\n".encode()
    (root / "backup/logs.tar.gz").write_bytes(tar_bytes({"app/app.log": log}))
    (root / "notes/notes.txt").write_text(f"call notes\nreply to {address['notes/notes.txt']}\n")
    (root / "crm/contacts.tsv").write_text(f"name\temail\nCy Lee\t{address['crm/contacts.tsv']}\n")
    (root / "crm/export.jsonl").write_text(json.dumps({"id": 1, "email": address["crm/export.jsonl"]}) + "\n")
    tickets = {"tickets": [{"id": 7, "from": address["support/tickets.json"]}]}
    (root / "support/tickets.json").write_text(json.dumps(tickets))
    table = pa.table({"id": [1], "email": [address["analytics/newsletter.parquet"]]})
    pq.write_table(table, root / "analytics/newsletter.parquet")
    (root / "logs/old.log.gz").write_bytes(gzip.compress(f"sent to {address['logs/old.log.gz']}\n".encode()))
    mbox = simple_message(address["mail/archive.mbox"], "First message.").as_bytes()
    (root / "mail/archive.mbox").write_bytes(b"From sender@example.com Mon Nov  2 10:00:00 2026\n" + mbox + b"\n")
    return root


def places(index: Path) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Planted address -> [(item, locator)] from lookups."""
    out = {}
    for email, _ in PLANTED.values():
        result = lookup_json(index, "--email", email)
        out[email] = sorted(((loc["item"], loc["locator"]) for loc in result["locations"]), key=str)
    return out


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_estate(tmp_path_factory.mktemp("mixed") / "estate")


@pytest.fixture(scope="module")
def local_places(estate: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, Any]]]:
    index = tmp_path_factory.mktemp("mixed-local") / "index"
    run_cli("scan", str(estate), "--index", str(index), "--no-ner", "--quiet", check=True)
    found = places(index)
    for name, (email, keys) in PLANTED.items():
        assert [item for item, _ in found[email]] == [name], name
        ((_, locator),) = found[email]
        assert set(locator) == keys, name
    return found


def test_every_format_on_s3_is_found_at_its_documented_place(
    estate: Path,
    local_places: dict[str, Any],
    endpoint: str,
    tmp_path: Path,
) -> None:
    client = boto3.client("s3", endpoint_url=endpoint, region_name=S3_REGION)
    bucket = f"mixed-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=bucket)
    for path in sorted(p for p in estate.rglob("*") if p.is_file()):
        client.upload_fileobj(io.BytesIO(path.read_bytes()), bucket, f"estate/{path.relative_to(estate).as_posix()}")
    index = tmp_path / "index"
    proc = run_cli("scan", f"s3://{bucket}/estate", "--endpoint-url", endpoint, "--index", str(index), "--no-ner")
    assert proc.returncode == 0, proc.stderr
    assert f"items: {len(PLANTED)} scanned, 0 skipped, 0 failed" in proc.stdout
    assert places(index) == local_places


@pytest.fixture
def share_folder(server: Server) -> Iterator[tuple[Path, str]]:  # noqa: F811
    name = f"mixed-{uuid.uuid4().hex[:10]}"
    local = server.root / name
    yield local, server.url(name)
    shutil.rmtree(local, ignore_errors=True)


def test_every_format_on_an_smb_share_is_found_at_its_documented_place(
    estate: Path, local_places: dict[str, Any], share_folder: tuple[Path, str], tmp_path: Path
) -> None:
    local, url = share_folder
    shutil.copytree(estate, local)
    for path in [local, *local.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    index = tmp_path / "index"
    proc = run_cli("scan", url, "--index", str(index), "--no-ner")
    assert proc.returncode == 0, proc.stderr
    assert f"items: {len(PLANTED)} scanned, 0 skipped, 0 failed" in proc.stdout
    assert places(index) == local_places
