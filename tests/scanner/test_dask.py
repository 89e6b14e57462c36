"""Scans on a real Dask ``LocalCluster`` (processes): same index as the local pool, killed workers, failing
units, and no secrets in what travels to workers."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from piiscan.connectors.base import ItemRef, TextChunk, WorkUnit
from piiscan.connectors.local import LocalConnector
from piiscan.connectors.sql.mysql import MySQLConnector
from piiscan.connectors.sql.postgres import PostgresConnector
from piiscan.index.store import open_index
from piiscan.scanner.config import ConfigError, load_config
from tests.conftest import REPO, TEST_KEY_HEX, require_dask, run_cli
from tests.estate_test_support import generate_estate


@pytest.fixture(autouse=True)
def _dask_installed() -> None:
    require_dask()


#: environment variable naming the folder where SlowConnector leaves its progress markers
MARKERS_VARIABLE = "PIISCAN_TEST_MARKERS"
#: how long SlowConnector holds each unit before reading it
SLOW_UNIT_S = 0.5


class SlowConnector(LocalConnector):
    """Local files read slowly, leaving ``started-PID-N`` / ``done-PID-N`` markers, so a test can kill the
    worker process that is in the middle of a unit."""

    schemes = ("slow",)

    def __init__(self, url: str, **options) -> None:
        super().__init__(url.removeprefix("slow://"), **options)

    def read(self, unit: WorkUnit) -> Iterator[ItemRef | TextChunk]:
        markers = Path(os.environ[MARKERS_VARIABLE])
        tag = f"{os.getpid()}-{time.monotonic_ns()}"
        (markers / f"started-{tag}").touch()
        time.sleep(SLOW_UNIT_S)
        yield from super().read(unit)
        (markers / f"done-{tag}").touch()


SCAN_SCRIPT = """
import sys
from piiscan.connectors.registry import register
from piiscan.cli import main
register("slow", "tests.scanner.test_dask:SlowConnector")
register("crashing", "tests.scanner.crashing_source:CrashingConnector")
sys.exit(main(sys.argv[1:]))
"""


def _scan_process(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    env = os.environ | {"PYTHONPATH": str(REPO), "PIISCAN_HMAC_KEY": TEST_KEY_HEX} | (env or {})
    return subprocess.Popen(
        [sys.executable, "-c", SCAN_SCRIPT, "scan", *args, "--format", "json", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )


def _finish(proc: subprocess.Popen, timeout: float = 300) -> dict:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out)


def _scan_cli(*args: str) -> dict:
    proc = run_cli("scan", *args, "--format", "json", "--quiet")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def live_entries(index_dir: Path) -> Counter:
    """Live occurrences as a multiset of tuples without scan ids: equal for equal scans, and a unit written
    twice shows up as doubled entries."""
    index = open_index(index_dir)
    table = index.live_occurrences(index.live_scan_by_item())
    columns = [c for c in table.column_names if c != "scan_id"]
    return Counter(tuple(row[c] for c in columns) for row in table.to_pylist())


def item_statuses(index_dir: Path) -> dict[tuple[str, str], str]:
    return {key: row["status"] for key, row in open_index(index_dir).latest_item_rows().items()}


def _text_estate(root: Path, files: int, crash: bool = False) -> Path:
    root.mkdir()
    for n in range(files):
        (root / f"file{n:02d}.txt").write_text(f"contact person{n}@example.com or +44 20 7946 0{n:03d}\n" * 40)
    if crash:
        (root / "crash.txt").write_text("this item kills its worker\n")
    return root


# -- same index as the process pool --------------------------------------------------------------------------
def test_dask_index_equals_local_pool_index(tmp_path):
    estate = generate_estate(tmp_path / "estate", size_mb=0.3, seed=5)
    common = [str(estate.root), "--no-ner", "--unit-mb", "0.01"]
    local = _scan_cli(*common, "--index", str(tmp_path / "local"), "--workers", "2")
    dask = _scan_cli(*common, "--index", str(tmp_path / "dask"), "--executor", "dask", "--workers", "2")
    assert dask["status"] == local["status"] == "completed"
    assert dask["units"] == local["units"] > dask["items_scanned"]  # items were split into several units
    for field in ("items_scanned", "items_skipped", "items_failed", "records", "findings_by_entity"):
        assert dask[field] == local[field], field
    assert item_statuses(tmp_path / "dask") == item_statuses(tmp_path / "local")
    entries = live_entries(tmp_path / "dask")
    assert entries == live_entries(tmp_path / "local")
    assert sum(entries.values()) == sum(local["findings_by_entity"].values())


# -- a worker killed mid-scan ------------------------------------------------------------------------------------
def test_worker_killed_mid_scan_loses_and_duplicates_nothing(tmp_path, monkeypatch):
    from distributed import Client, LocalCluster

    root = _text_estate(tmp_path / "estate", files=10)
    markers = tmp_path / "markers"
    markers.mkdir()
    monkeypatch.setenv(MARKERS_VARIABLE, str(markers))  # the cluster's worker processes inherit it
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        worker_pids = set(client.run(os.getpid).values())
        proc = _scan_process(
            f"slow://{root}", "--index", str(tmp_path / "dask"), "--scheduler", cluster.scheduler_address, "--no-ner"
        )
        victim = _unit_in_progress_after_first_result(markers, worker_pids, proc)
        os.kill(victim, signal.SIGKILL)
        summary = _finish(proc)
        assert victim not in set(client.run(os.getpid).values())  # the nanny started a fresh worker
    assert summary["status"] == "completed"
    assert summary["items_scanned"] == 10
    assert summary["items_failed"] == 0
    # the killed worker's unit was scanned again elsewhere, exactly once
    local = _scan_cli(str(root), "--index", str(tmp_path / "local"), "--workers", "2", "--no-ner")
    assert summary["findings_by_entity"] == local["findings_by_entity"]
    assert live_entries(tmp_path / "dask") == live_entries(tmp_path / "local")
    assert item_statuses(tmp_path / "dask") == item_statuses(tmp_path / "local")


def _unit_in_progress_after_first_result(markers: Path, worker_pids: set[int], proc: subprocess.Popen) -> int:
    """The pid of a worker that is in the middle of a unit, once some unit has finished."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        names = {p.name for p in markers.iterdir()}
        busy = [n.removeprefix("started-") for n in names if n.startswith("started-") and f"done-{n[8:]}" not in names]
        if any(n.startswith("done-") for n in names) and busy:
            pid = int(busy[0].split("-")[0])
            assert pid in worker_pids
            return pid
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("the scan never had a unit in progress after its first result")


# -- a unit that always fails ------------------------------------------------------------------------------------
def test_unit_that_always_kills_its_worker_is_failed_and_the_rest_indexed(tmp_path):
    root = _text_estate(tmp_path / "estate", files=6, crash=True)
    # Dask gives up on a task after its workers died under it allowed_failures + 1 times (default 3 + 1); one
    # retry keeps the test short.  crash.txt is the smallest unit, so it is submitted last: every other unit
    # has priority over it and never waits behind it on a worker that dies twice.
    proc = _scan_process(
        f"crashing://{root}",
        *("--index", str(tmp_path / "dask"), "--executor", "dask", "--workers", "2", "--no-ner"),
        env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"},
    )
    summary = _finish(proc)
    assert summary["status"] == "completed"
    failures = {f["item"]: f["reason"] for f in summary["failures"]}
    assert failures == {"crash.txt": "worker process died while scanning (killed or out of memory)"}
    assert summary["items_scanned"] == 6
    local = _scan_cli(str(root), "--index", str(tmp_path / "local"), "--no-ner", "--exclude", "crash.txt")
    assert summary["findings_by_entity"] == local["findings_by_entity"]
    assert live_entries(tmp_path / "dask") == live_entries(tmp_path / "local")
    statuses = item_statuses(tmp_path / "dask")
    assert sorted(statuses.values()) == ["failed"] + ["ok"] * 6


# -- secrets -----------------------------------------------------------------------------------------------------
PASSWORD = "pw-Zq81-never-in-a-payload"


def _payloads(connectors: dict) -> list[bytes]:
    """What Dask ships for a scan: the worker plugin and a task, serialised as Dask serialises them."""
    from distributed.protocol.pickle import dumps

    from piiscan.scanner.dask_executor import scan_unit_task, scanner_plugin

    plugin = scanner_plugin("piiscan-scanner-test", connectors, {}, bytes.fromhex(TEST_KEY_HEX), "scan", 30)
    item = ItemRef(next(iter(connectors)), "public.customers", "table", 10, "fp")
    return [dumps(plugin), dumps((scan_unit_task, WorkUnit(item), "piiscan-scanner-test"))]


def test_passwords_from_the_environment_never_travel_to_workers(monkeypatch):
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    monkeypatch.setenv("PIISCAN_TEST_DB_PASSWORD", PASSWORD)
    monkeypatch.setenv("MYSQL_PWD", PASSWORD)
    from piiscan.scanner.dask_executor import refuse_url_passwords

    connectors = {
        "pg": PostgresConnector("postgresql://scanner@db.example.internal:5432/crm"),
        "pg-env": PostgresConnector(
            "postgresql://scanner@db.example.internal:5432/hr", password_env="PIISCAN_TEST_DB_PASSWORD"
        ),
        "my": MySQLConnector("mysql://scanner@db.example.internal:3306/shop"),
    }
    refuse_url_passwords(connectors)  # nothing to refuse
    plugin, task = _payloads(connectors)
    assert PASSWORD.encode() not in plugin and PASSWORD.encode() not in task
    assert b"PIISCAN_TEST_DB_PASSWORD" in plugin  # the variable's name travels; the worker reads its value


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://scanner:{PASSWORD}@db.example.internal:5432/crm",
        f"postgresql://scanner@db.example.internal:5432/crm?password={PASSWORD}",
        f"mysql://scanner:{PASSWORD}@db.example.internal:3306/shop",
    ],
)
def test_a_password_in_the_url_is_refused_with_one_line_naming_the_source(url):
    from piiscan.scanner.dask_executor import ClusterError, refuse_url_passwords

    connector = PostgresConnector(url) if url.startswith("postgresql") else MySQLConnector(url)
    with pytest.raises(ClusterError) as caught:
        refuse_url_passwords({connector.source: connector})
    message = str(caught.value)
    assert "\n" not in message and PASSWORD not in message
    assert message.startswith(connector.source) and "environment" in message


def test_the_hmac_key_travels_only_inside_the_plugin_and_is_never_shown():
    from piiscan.scanner.dask_executor import scanner_plugin

    key = bytes.fromhex(TEST_KEY_HEX)
    plugin = scanner_plugin("piiscan-scanner-test", {}, {}, key, "scan", 30)
    assert key.hex() not in repr(plugin) and str(key) not in repr(plugin)
    restored = pickle.loads(pickle.dumps(plugin))
    assert restored.key == key and restored.scanner is None
    task = _payloads({"pg": PostgresConnector("postgresql://scanner@db.example.internal:5432/crm")})[1]
    assert key not in task


def test_dask_scan_refuses_a_url_password_before_anything_is_sent(tmp_path):
    from tests.db_support import pg_database, pg_url

    with pg_database() as name:
        import psycopg

        with psycopg.connect(host="127.0.0.1", user="postgres", dbname=name, autocommit=True) as conn:
            conn.execute("CREATE TABLE people (id int PRIMARY KEY, email text)")
            conn.execute("INSERT INTO people VALUES (1, 'dana.stone@example.com')")
        url = pg_url(name, password=PASSWORD)
        proc = run_cli("scan", url, "--index", str(tmp_path / "index"), "--executor", "dask", "--no-ner", "-q")
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and PASSWORD not in proc.stderr
    assert "password in the URL" in proc.stderr and "PGPASSWORD" in proc.stderr


def test_a_database_is_scanned_by_workers_that_connect_themselves(tmp_path, monkeypatch):
    """PostgreSQL tables scanned on Dask workers: each worker opens its own read-only session, with the
    password (PGPASSWORD here) from its own environment; the driver sends none."""
    from tests.db_support import pg_database, pg_url

    monkeypatch.setenv("PGPASSWORD", PASSWORD)  # the local server trusts loopback and ignores it
    with pg_database() as name:
        import psycopg

        with psycopg.connect(host="127.0.0.1", user="postgres", dbname=name, autocommit=True) as conn:
            conn.execute("CREATE TABLE people (id int PRIMARY KEY, email text, note text)")
            conn.execute(
                "INSERT INTO people SELECT g, 'person' || g || '@example.com', 'call +44 20 7946 0' || "
                "lpad(g::text, 3, '0') FROM generate_series(1, 300) g"
            )
        common = [pg_url(name), "--no-ner"]
        dask = _scan_cli(*common, "--index", str(tmp_path / "dask"), "--executor", "dask", "--workers", "2")
        _scan_cli(*common, "--index", str(tmp_path / "local"), "--workers", "2")
    assert dask["status"] == "completed" and dask["items_scanned"] == 1
    assert dask["findings_by_entity"]["EMAIL_ADDRESS"] == 300
    assert live_entries(tmp_path / "dask") == live_entries(tmp_path / "local")


# -- configuration --------------------------------------------------------------------------------------------
def test_executor_and_scheduler_settings_layer_like_the_others(tmp_path):
    config_file = tmp_path / "piiscan.toml"
    config_file.write_text('[scan]\nexecutor = "dask"\nscheduler = "tls://scheduler.internal:8786"\n')
    config = load_config(config_file)
    assert (config.executor, config.scheduler) == ("dask", "tls://scheduler.internal:8786")
    assert load_config(config_file, {"executor": "local"}).executor == "local"
    assert load_config(None, {}).executor == "local"
    config_file.write_text('[scan]\nexecutor = "spark"\n')
    with pytest.raises(ConfigError, match="'executor' must be one of local, dask"):
        load_config(config_file)


def test_an_unreachable_scheduler_is_one_line_and_exit_code_1(tmp_path):
    root = _text_estate(tmp_path / "estate", files=1)
    index = str(tmp_path / "index")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "piiscan",
            "scan",
            str(root),
            "--index",
            index,
            "--scheduler",
            "tcp://127.0.0.1:9",
            "-q",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=os.environ | {"PYTHONPATH": str(REPO), "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"},
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("piiscan: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    assert proc.stderr.count("\n") == 1
