"""The command line's contract: exit codes, one-line errors, no values printed."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["scan", "--workers", "zero"],
        ["lookup", "--index", "x"],
        ["lookup", "--value", "nonsense"],
        ["lookup", "--phone", "12"],
        ["bogus"],
    ],
)
def test_usage_errors_exit_2(args, tmp_path):
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr


def test_missing_path_is_a_one_line_failure(tmp_path):
    proc = run_cli("scan", str(tmp_path / "nope"), "--index", str(tmp_path / "idx"), "--quiet")
    assert proc.returncode == 1
    assert "nope" in proc.stderr and "does not exist" in proc.stderr


def test_unknown_scheme_is_a_one_line_failure(tmp_path):
    proc = run_cli("scan", "gopher://host/x", "--index", str(tmp_path / "idx"), "--quiet")
    assert proc.returncode == 1
    assert "unknown source scheme" in proc.stderr


def test_lookup_without_index_fails_cleanly(tmp_path):
    proc = run_cli("lookup", "--email", "a@example.com", "--index", str(tmp_path / "none"))
    assert proc.returncode == 1
    assert "no piiscan index" in one_error_line(proc.stderr)


def test_detect_jsonl_prints_offsets_not_values(tmp_path):
    docs = tmp_path / "docs.jsonl"
    texts = {
        "a": "Write to jane.doe@example.com or call 020 7946 0018.",
        "b": "Nothing to see here.",
        "c": "Card 4111 1111 1111 1111 expires soon.",
    }
    docs.write_text("\n".join(json.dumps({"id": k, "text": v}) for k, v in texts.items()) + "\n")
    proc = run_cli("detect", str(docs), "--jsonl", "--no-ner")
    assert proc.returncode == 0, proc.stderr
    findings = [json.loads(line) for line in proc.stdout.splitlines()]
    spans = {(f["id"], f["entity_type"]): texts[f["id"]][f["start"] : f["end"]] for f in findings}
    assert spans[("a", "EMAIL_ADDRESS")] == "jane.doe@example.com"
    assert spans[("a", "PHONE_NUMBER")] == "020 7946 0018"
    assert spans[("c", "CREDIT_CARD")] == "4111 1111 1111 1111"
    assert not any(f["id"] == "b" for f in findings)
    assert "example.com" not in proc.stdout and "4111" not in proc.stdout
    assert set(findings[0]) == {"id", "entity_type", "start", "end", "score", "detector"}


def test_detect_plain_text_from_stdin_with_ner(tmp_path):
    import subprocess
    import sys

    from tests.conftest import REPO

    text = "Alice Smith moved to Manchester last year; email alice@example.com."
    proc = subprocess.run(
        [sys.executable, "-m", "piiscan", "detect", "-"], input=text, capture_output=True, text=True, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", "a normal run logs no warnings"
    found = {(f["entity_type"], text[f["start"] : f["end"]]) for f in map(json.loads, proc.stdout.splitlines())}
    assert ("PERSON", "Alice Smith") in found
    assert ("LOCATION", "Manchester") in found
    assert ("EMAIL_ADDRESS", "alice@example.com") in found


def test_missing_spacy_model_is_a_one_line_failure(tmp_path):
    (tmp_path / "a.txt").write_text("Alice Smith lives in Leeds\n")
    config = tmp_path / "piiscan.toml"
    config.write_text('[detectors]\nspacy_model = "no_such_model_pkg"\n')
    proc = run_cli("scan", str(tmp_path / "a.txt"), "--config", str(config), "--index", str(tmp_path / "idx"))
    assert proc.returncode == 1
    assert "no_such_model_pkg" in one_error_line(proc.stderr)
