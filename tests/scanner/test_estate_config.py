"""The estate config file: named sources with their own filters and connector options, secrets only by
environment reference, --source selection, layering, JSON logs and ``config show`` (real scans, real servers)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from piiscan.scanner.config import ConfigError, load_config
from tests.conftest import REPO, lookup_json, run_cli


def write_config(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def located(index: Path, config: Path, email: str) -> set[tuple[str, str]]:
    """(source, item) of every location holding ``email``."""
    answer = lookup_json(index, "--config", str(config), "--email", email)
    return {(loc["source"], loc["item"]) for loc in answer["locations"]}


@pytest.fixture
def estate(tmp_path: Path) -> dict[str, Path]:
    """Two folders, a SQLite database with a view, and a folder of old exports."""
    crm = tmp_path / "crm"
    (crm / "exports").mkdir(parents=True)
    (crm / "exports" / "customers.csv").write_text("id,email\n1,carol.crm@example.com\n")
    (crm / "notes.txt").write_text("call back dave.notes@example.com\n")  # not *.csv: excluded for crm
    logs = tmp_path / "logs"
    (logs / "old").mkdir(parents=True)
    (logs / "app.log").write_text("2026-01-01 login erin.app@example.com\n")
    (logs / "old" / "app.log").write_text("2020-01-01 login frank.old@example.com\n")  # per-source exclude
    (logs / "cache.tmp").write_text("grace.tmp@example.com\n")  # the global exclude
    db = tmp_path / "hr.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE staff (id INTEGER PRIMARY KEY, email TEXT)")
        conn.execute("INSERT INTO staff VALUES (1, 'heidi.hr@example.com')")
        conn.execute("CREATE VIEW staff_view AS SELECT id, email FROM staff")
    conn.close()
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "2019.csv").write_text("email\nivan.archive@example.com\n")
    return {"crm": crm, "logs": logs, "db": db, "archive": archive, "root": tmp_path}


@pytest.fixture
def estate_config(estate: dict[str, Path]) -> Path:
    root = estate["root"]
    return write_config(
        root / "piiscan.toml",
        f"""
        [scan]
        index = "{root / "index"}"
        exclude = ["*.tmp"]

        [detectors]
        ner = false

        [sources.crm]
        url = "{estate["crm"]}"
        include = ["*.csv"]

        [sources.logs]
        url = "file://{estate["logs"]}"
        exclude = ["old/*"]

        [sources.hr]
        url = "sqlite:///{estate["db"]}"
        include_views = true

        [sources.archive]
        url = "{estate["archive"]}"
        enabled = false
        """,
    )


def test_scan_without_arguments_scans_enabled_named_sources_with_their_options(
    estate: dict[str, Path], estate_config: Path
) -> None:
    index = estate["root"] / "index"
    proc = run_cli("scan", "--config", str(estate_config), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["source_errors"] == []
    crm, logs, db = (f"file://{estate['crm']}", f"file://{estate['logs']}", f"sqlite:///{estate['db']}")
    assert located(index, estate_config, "carol.crm@example.com") == {(crm, "exports/customers.csv")}
    assert located(index, estate_config, "dave.notes@example.com") == set()  # crm takes *.csv only
    assert located(index, estate_config, "erin.app@example.com") == {(logs, "app.log")}
    assert located(index, estate_config, "frank.old@example.com") == set()  # logs excludes old/*
    assert located(index, estate_config, "grace.tmp@example.com") == set()  # [scan] exclude applies too
    # include_views reached the SQLite connector: the view is scanned as well as the table
    assert located(index, estate_config, "heidi.hr@example.com") == {(db, "staff"), (db, "staff_view")}
    assert located(index, estate_config, "ivan.archive@example.com") == set()  # enabled = false

    # --source picks named sources, a disabled one too; only it is scanned
    proc = run_cli("scan", "--config", str(estate_config), "--source", "archive", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["items_scanned"] == 1
    archive = f"file://{estate['archive']}"
    assert located(index, estate_config, "ivan.archive@example.com") == {(archive, "2019.csv")}


def test_unknown_source_name_is_a_usage_error(estate_config: Path) -> None:
    proc = run_cli("scan", "--config", str(estate_config), "--source", "crm", "--source", "payroll")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "piiscan scan: error: --source: unknown source name(s) payroll (configured: archive, crm, hr, logs)"
    )


def test_a_positional_spec_naming_a_configured_url_gets_its_options(
    estate: dict[str, Path], estate_config: Path
) -> None:
    config = load_config(estate_config)
    assert config.scan_targets() == [str(estate["crm"]), f"file://{estate['logs']}", f"sqlite:///{estate['db']}"]
    assert config.scan_targets([str(estate["crm"]) + "/"], ["hr"]) == [
        str(estate["crm"]) + "/",
        f"sqlite:///{estate['db']}",
    ]
    # the same folder written another way is the same source
    options = config.source_options(f"file://{estate['crm']}")
    assert options == {"include": ["*.csv"], "exclude": ["*.tmp"], "follow_symlinks": False}
    assert config.source_options(f"sqlite:///{estate['db']}")["include_views"] is True
    assert config.source_options("/elsewhere") == {"include": [], "exclude": ["*.tmp"], "follow_symlinks": False}


def test_per_source_options_override_scan_wide_ones(tmp_path: Path) -> None:
    path = write_config(
        tmp_path / "piiscan.toml",
        """
        [scan]
        endpoint_url = "http://minio.internal:9000"
        include = ["*.csv"]
        [sources.lake]
        url = "s3://lake/exports/"
        endpoint_url = "http://127.0.0.1:9999"
        region = "eu-west-2"
        include = ["*.parquet"]
        [sources.archive]
        url = "s3://archive/"
        """,
    )
    config = load_config(path)
    assert config.source_options("s3://lake/exports/") == {
        "include": ["*.csv", "*.parquet"],
        "exclude": [],
        "follow_symlinks": False,
        "endpoint_url": "http://127.0.0.1:9999",
        "region": "eu-west-2",
    }
    assert config.source_options("s3://archive/")["endpoint_url"] == "http://minio.internal:9000"


# -- secrets and bad tables -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("table", "key", "message"),
    [
        ('url = "postgresql://scanner@db/hr"\npassword = "hunter2-secret"', "password", "use password_env"),
        ('url = "s3://lake/"\nsecret_access_key = "hunter2-secret"', "secret_access_key", "use password_env"),
        ('url = "s3://lake/"\naws_session_token = "hunter2-secret"', "aws_session_token", "use password_env"),
        ('url = "postgresql://scanner:hunter2-secret@db/hr"', "url", "PGPASSWORD / MYSQL_PWD"),
        ('url = "mysql://root:hunter2-secret@db:3306/crm"', "url", "password_env"),
        ('url = "postgresql://db/hr?password=hunter2-secret"', "url", "password_env"),
    ],
)
def test_literal_secrets_are_refused_without_echoing_them(tmp_path: Path, table: str, key: str, message: str) -> None:
    path = tmp_path / "piiscan.toml"
    path.write_text(f"[sources.hr]\n{table}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: sources.hr.{key}: ") and message in text
    assert "hunter2" not in text and "\n" not in text
    proc = run_cli("config", "show", "--config", str(path))
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "hunter2" not in proc.stderr and f"sources.hr.{key}" in proc.stderr


def test_a_password_in_plain_scan_sources_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "piiscan.toml"
    path.write_text('[scan]\nsources = ["postgresql://app:hunter2@db/app"]\n')
    with pytest.raises(ConfigError, match=r"scan\.sources: postgresql://app@db/app: the url holds a password") as err:
        load_config(path)
    assert "hunter2" not in str(err.value)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            'url = "postgresql://db/hr"\nbatch_size = 10',
            "unknown option 'batch_size' (postgresql:// sources",
        ),
        ('url = "sqlite:///x.db"\ninclude = ["t*"]', "sources.hr: unknown option 'include' (sqlite:// sources take"),
        ('url = "/data"\nfollow_symlinks = true\nregion = "x"', "sources.hr: unknown option 'region'"),
        ('url = "ftp://host/x"', "sources.hr.url: unknown source scheme 'ftp://'"),
        ("include = []", "sources.hr: 'url' is required"),
        ('url = "/data"\nenabled = "no"', "sources.hr.enabled: must be true or false"),
        ('url = "postgresql://db/hr"\npassword_env = ""', "sources.hr.password_env: must name an environment variable"),
        ('url = "/data"\nfollow_symlinks = "yes"', "sources.hr.follow_symlinks: must be true or false"),
        ('url = "s3://lake/"\nregion = 3', "sources.hr.region: must be a string"),
    ],
)
def test_bad_source_tables_name_the_file_and_key(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "piiscan.toml"
    path.write_text(f"[sources.hr]\n{table}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)


def test_two_sources_with_one_url_are_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path / "piiscan.toml", '[sources.a]\nurl = "/data"\n[sources.b]\nurl = "file:///data"\n')
    with pytest.raises(ConfigError, match=r"sources\.b: same url as sources\.a"):
        load_config(path)


# -- PostgreSQL with password_env ----------------------------------------------------------------------
def test_postgres_source_reads_its_password_from_the_named_variable(tmp_path: Path) -> None:
    from tests.db_support import pg_connect, pg_database, pg_url

    with pg_database() as name:
        with pg_connect(name) as conn:
            conn.execute("CREATE TABLE staff (id int PRIMARY KEY, email text)")
            conn.execute("CREATE TABLE audit_trail (id int PRIMARY KEY, email text)")
            conn.execute("INSERT INTO staff VALUES (1, 'judy.pg@example.com')")
            conn.execute("INSERT INTO audit_trail VALUES (1, 'judy.pg@example.com')")
        config = write_config(
            tmp_path / "piiscan.toml",
            f"""
            [scan]
            index = "{tmp_path / "index"}"
            [detectors]
            ner = false
            [sources.hr]
            url = "{pg_url(name)}"
            password_env = "PIISCAN_TEST_HR_PASSWORD"
            include = ["public.staff"]
            """,
        )
        env = {k: v for k, v in os.environ.items() if k != "PIISCAN_TEST_HR_PASSWORD"}
        missing = _run(["scan", "--config", str(config), "--source", "hr"], env)
        assert missing.returncode == 1
        assert "environment variable PIISCAN_TEST_HR_PASSWORD is not set" in missing.stderr
        ok = _run(["scan", "--config", str(config), "--format", "json"], env | {"PIISCAN_TEST_HR_PASSWORD": "pw-9"})
        assert ok.returncode == 0, ok.stderr
        assert "pw-9" not in ok.stdout + ok.stderr
    assert located(tmp_path / "index", config, "judy.pg@example.com") == {(pg_url(name), "public.staff")}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    env = env | {"PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "piiscan", *args], capture_output=True, text=True, env=env, cwd=REPO)


# -- layering and config show ----------------------------------------------------------------------
def test_command_line_beats_the_file(tmp_path: Path) -> None:
    path = write_config(
        tmp_path / "piiscan.toml",
        """
        [scan]
        workers = 3
        log_format = "json"
        include = ["*.csv"]
        [detectors]
        disabled_entities = ["IP_ADDRESS"]
        thresholds = {PHONE_NUMBER = 0.7}
        [sources.crm]
        url = "/srv/crm"
        exclude = ["tmp/*"]
        """,
    )
    from_file = load_config(path)
    assert (from_file.workers, from_file.log_format, from_file.include) == (3, "json", ("*.csv",))
    assert from_file.detectors.disabled_entities == ("IP_ADDRESS",)
    assert from_file.detectors.threshold_for("PHONE_NUMBER") == 0.7
    assert from_file.detectors.threshold_for("EMAIL_ADDRESS") == 0.5
    layered = load_config(path, {"workers": 1, "log_format": "text", "include": ["*.json"], "detectors.ner": False})
    assert (layered.workers, layered.log_format, layered.include) == (1, "text", ("*.json",))
    assert layered.source_options("/srv/crm")["include"] == ["*.json"]  # the command line's, with the source's
    assert layered.source_options("/srv/crm")["exclude"] == ["tmp/*"]
    with pytest.raises(ConfigError, match="command line: 'log_format' must be one of text, json"):
        load_config(path, {"log_format": "xml"})
    shown = run_cli("config", "show", "--config", str(path), "--format", "json", "--index", str(tmp_path / "i2"))
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["scan"]["index"] == str(tmp_path / "i2") and data["scan"]["workers"] == 3


def test_config_show_hides_secrets_and_loads_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(
        tmp_path / "piiscan.toml",
        """
        [scan]
        sources = ["/srv/shared"]
        [sources.hr]
        url = "postgresql://scanner@db.internal:5432/hr"
        password_env = "HR_DB_PASSWORD"
        include_views = true
        [sources."files.eu"]
        url = "smb://svc-scan@fs01/share/hr"
        password_env = "SMB_PASSWORD"
        [detectors]
        allow_list = ["+44 20 7946 0000"]
        thresholds = {UK_NINO = 0.8}
        [[detectors.custom]]
        entity = "EMPLOYEE_ID"
        pattern = '\\bEMP-\\d{6}\\b'
        context = ["employee", "staff id"]
        validator = "luhn"
        linkable = true
        """,
    )
    monkeypatch.setenv("HR_DB_PASSWORD", "hunter2-in-env")
    proc = run_cli("config", "show", "--config", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "hunter2" not in proc.stdout
    shown = tomllib.loads(proc.stdout)
    assert shown["sources"]["hr"] == {
        "url": "postgresql://scanner@db.internal:5432/hr",
        "include_views": True,
        "password_env": "HR_DB_PASSWORD",
    }
    assert shown["sources"]["files.eu"]["password_env"] == "SMB_PASSWORD"
    assert shown["detectors"]["custom"][0]["pattern"] == r"\bEMP-\d{6}\b"
    assert shown["detectors"]["thresholds"] == {"UK_NINO": 0.8}
    # the output is a config file that means the same
    again = tmp_path / "effective.toml"
    again.write_text(proc.stdout)
    assert load_config(again) == load_config(path)
    as_json = run_cli("config", "show", "--config", str(path), "--format", "json")
    assert json.loads(as_json.stdout) == shown


# -- JSON logs -----------------------------------------------------------------------------------------
def _json_lines(stderr: str) -> list[dict]:
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    for entry in lines:
        assert {"time", "level", "logger", "message"} <= set(entry)
        assert entry["time"].endswith("Z") and "T" in entry["time"]
    return lines


def test_log_format_json_emits_one_object_per_line(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "ok.csv").write_text("email\nkate.log@example.com\n")
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    index = tmp_path / "index"
    proc = run_cli("scan", str(folder), "--index", str(index), "--no-ner", "-v", "--log-format", "json")
    assert proc.returncode == 0, proc.stderr
    entries = _json_lines(proc.stderr)
    assert {"INFO", "ERROR"} <= {e["level"] for e in entries}
    failure = next(e for e in entries if e["level"] == "ERROR")
    assert failure["logger"] == "piiscan.scan" and "broken.xlsx" in failure["message"]
    assert "kate.log" not in proc.stderr
    # scan.log_format in the file does the same; --log-format text on the command line wins
    config = write_config(tmp_path / "piiscan.toml", '[scan]\nlog_format = "json"\n')
    proc = run_cli("scan", str(folder), "--index", str(index), "--no-ner", "--config", str(config))
    assert [e["level"] for e in _json_lines(proc.stderr)] == ["ERROR"]
    proc = run_cli(
        "scan", str(folder), "--index", str(index), "--no-ner", "--config", str(config), "--log-format", "text"
    )
    assert proc.stderr.startswith("piiscan: ERROR: ")


def test_json_logs_from_worker_processes_come_through_the_parent(tmp_path: Path) -> None:
    """What the scan does: multiprocessing-logging forwards forked workers' records, extras included."""
    script = textwrap.dedent(
        """
        import argparse, logging, multiprocessing
        import multiprocessing_logging
        from piiscan.cli import _setup_logging

        def work():
            try:
                raise ValueError("cannot parse row 7")
            except ValueError:
                logging.getLogger("piiscan.worker").warning(
                    "unit %d failed", 3, extra={"source": "file:///srv/crm", "item": "exports/a.csv"}, exc_info=True
                )

        _setup_logging(argparse.Namespace(quiet=False, verbose=0, log_format="json"))
        multiprocessing_logging.install_mp_handler()
        child = multiprocessing.get_context("fork").Process(target=work)
        child.start()
        child.join()
        for handler in logging.getLogger().handlers:
            handler.close()
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=os.environ | {"PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 0, proc.stderr
    [entry] = _json_lines(proc.stderr)
    assert entry["level"] == "WARNING" and entry["logger"] == "piiscan.worker"
    assert entry["message"] == "unit 3 failed"
    assert (entry["source"], entry["item"]) == ("file:///srv/crm", "exports/a.csv")
    assert entry["process"] != "MainProcess" and "ValueError: cannot parse row 7" in entry["exception"]


def test_the_documented_example_config_loads_and_its_recognizers_work() -> None:
    from dataclasses import replace

    from piiscan.detectors.engine import DetectionEngine

    config = load_config(REPO / "docs" / "piiscan.example.toml")
    assert [s.name for s in config.named_sources if not s.enabled] == ["hr_share"]
    assert "smb://svc-piiscan@fs01.internal/hr/records" not in config.scan_targets()
    assert config.source_options("postgresql://piiscan_ro@db.internal:5432/crm")["password_env"] == (
        "PIISCAN_CRM_PASSWORD"
    )
    engine = DetectionEngine(replace(config.detectors, ner=False))
    text = "payroll: EMP-123455, loyalty card LC 1234567890, Membership No. 12345678, EMP-123456"
    found = {(r["entity_type"], text[r["start"] : r["end"]]) for r in engine.detect_texts([text]).to_pylist()}
    assert found == {
        ("EMPLOYEE_ID", "EMP-123455"),
        ("LOYALTY_CARD", "LC 1234567890"),
        ("MEMBERSHIP_NO", "12345678"),
    }


def test_a_source_as_the_index_names_it_gets_its_named_options(tmp_path: Path) -> None:
    """Erasure and DSAR rescans open sources by the connector's name for them (port added, scheme spelled out)."""
    path = write_config(
        tmp_path / "piiscan.toml",
        """
        [sources.shop]
        url = "mariadb://piiscan_ro@mysql.internal/shop"
        password_env = "SHOP_PW"
        [sources.crm]
        url = "postgres://piiscan_ro@db.internal/crm"
        password_env = "CRM_PW"
        """,
    )
    config = load_config(path)
    assert config.source_options("mariadb://piiscan_ro@mysql.internal:3306/shop")["password_env"] == "SHOP_PW"
    assert config.source_options("postgresql://piiscan_ro@db.internal/crm")["password_env"] == "CRM_PW"
    assert "password_env" not in config.source_options("postgresql://piiscan_ro@db.internal/other")
