"""Database-scan benchmark: a PostgreSQL table of 1M rows scanned through the real command line.

Creates (once; reused while the row count matches) a database ``piiscan_bench_<rows>`` on the
local server holding ``people`` (id, first and last name, e-mail, phone, date of birth, street,
city, postcode, status, created_at) and ``orders`` referencing it, filled by ``generate_series``
with deterministic fake values.  Then ``piiscan scan postgresql://...`` runs into a fresh index
once per worker count; rows/s, wall time, work units and the peak RSS of the writer and of the
largest worker (from the scan record) are reported.

    python bench/db.py --rows 1000000 --workers 1 2     # JSON in bench/out/db.json

Prints a Markdown table for docs/benchmarks.md.  No personal values are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "bench" / "out" / "db.json"
BENCH_KEY = "5a" * 32
FIRST = ["Alice", "Bob", "Chloe", "Dev", "Ella", "Femi", "Grace", "Hugo", "Isla", "Jamal", "Kofi", "Lena"]
LAST = ["Smith", "Jones", "Patel", "Nowak", "Okafor", "Garcia", "Murphy", "Chen", "Silva", "Evans", "Khan"]
CITIES = ["Leeds", "Bristol", "Glasgow", "Cardiff", "Belfast", "Norwich", "York", "Derby", "Bath", "Exeter"]
STATUS = ["active", "lapsed", "prospect", "closed"]


def _array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def create_database(host: str, port: int, user: str, rows: int) -> str:
    """The benchmark database (created and filled if missing); its name."""
    import psycopg

    name = f"piiscan_bench_{rows}"
    with psycopg.connect(host=host, port=port, user=user, dbname="postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            with psycopg.connect(host=host, port=port, user=user, dbname=name) as db:
                (count,) = db.execute("SELECT count(*) FROM people").fetchone()
            if count == rows:
                return name
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    started = time.perf_counter()
    with psycopg.connect(host=host, port=port, user=user, dbname=name, autocommit=True) as db:
        db.execute(
            "CREATE TABLE people (id bigint PRIMARY KEY, first_name text, last_name text, email text, phone text,"
            " date_of_birth date, street text, city text, postcode text, status text, created_at timestamptz)"
        )
        first, last, cities, status = _array(FIRST), _array(LAST), _array(CITIES), _array(STATUS)
        db.execute(
            f"""INSERT INTO people
            SELECT g,
                   ({first})[1 + g % {len(FIRST)}],
                   ({last})[1 + (g / {len(FIRST)}) % {len(LAST)}],
                   lower(({first})[1 + g % {len(FIRST)}]) || '.' || g || '@example.com',
                   '020 7946 ' || lpad((g % 1000)::text, 4, '0'),
                   date '1940-01-01' + (g % 24000),
                   (1 + g % 180) || ' High Street',
                   ({cities})[1 + g % {len(CITIES)}],
                   'LS' || (1 + g % 28) || ' ' || (g % 10) || 'AB',
                   ({status})[1 + g % {len(STATUS)}],
                   timestamptz '2020-01-01' + (g % 100000) * interval '1 minute'
            FROM generate_series(1, {rows}) AS g"""
        )
        db.execute("CREATE TABLE orders (id bigint PRIMARY KEY, person_id bigint REFERENCES people(id), total numeric)")
        db.execute(
            f"INSERT INTO orders SELECT g, 1 + (g * 7) % {rows}, (g % 500) + 0.99"
            f" FROM generate_series(1, {rows // 4}) AS g"
        )
        db.execute("ANALYZE")
    print(f"db: created {name} with {rows:,} people in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return name


def run_scan(url: str, workers: int, extra: list[str]) -> dict[str, Any]:
    env = os.environ.copy()
    env["PIISCAN_HMAC_KEY"] = BENCH_KEY
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    work = Path(tempfile.mkdtemp(prefix="piiscan-db-bench-"))
    try:
        cmd = [sys.executable, "-m", "piiscan", "scan", url, "--index", str(work / "index"), "--workers", str(workers)]
        cmd += ["--format", "json", "--quiet", *extra]
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=work, check=False)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"db: scan failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")
        summary = json.loads(proc.stdout)
        if summary["items_failed"]:
            raise SystemExit(f"db: scan had failed items: {summary['failures']}")
        return {
            "workers": workers,
            "wall_s": round(wall, 2),
            "scan_s": round(summary["elapsed"], 2),
            "records": summary["records"],
            "rows_per_s": round(summary["records"] / wall, 1),
            "units": summary["units"],
            "findings": sum(summary["findings_by_entity"].values()),
            "findings_by_entity": summary["findings_by_entity"],
            "peak_rss_mb": summary.get("peak_rss_mb", {}),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def markdown(results: dict[str, Any]) -> str:
    rows = results["rows"]
    lines = [
        "| run | wall time (s) | rows/s | work units | findings | peak RSS writer / largest worker (MB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for run in results["runs"]:
        rss = run["peak_rss_mb"]
        lines.append(
            f"| PostgreSQL `people` {rows:,} rows + `orders` {rows // 4:,} rows, {run['workers']} worker(s) "
            f"| {run['wall_s']:,} | {run['rows_per_s']:,.0f} | {run['units']} | {run['findings']:,} "
            f"| {rss.get('parent', '?')} / {rss.get('largest_worker', '?')} |"
        )
    env = results["environment"]
    lines += [
        "",
        f"PostgreSQL {env['server']}; {env['machine']}, {env['cpus']} CPUs, Python {env['python']}.  "
        "Rows/s count the rows of both tables over the whole wall time of the command (start-up included).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5432)
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("extra", nargs="*", help="extra arguments for piiscan scan (after --)")
    args = parser.parse_args(argv)
    import psycopg

    name = create_database(args.host, args.port, args.user, args.rows)
    url = f"postgresql://{args.user}@{args.host}:{args.port}/{name}"
    with psycopg.connect(host=args.host, port=args.port, user=args.user, dbname=name) as db:
        (server,) = db.execute("SHOW server_version").fetchone()
    results: dict[str, Any] = {
        "rows": args.rows,
        "database": name,
        "environment": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "server": server,
        },
        "runs": [],
    }
    for workers in args.workers:
        run = run_scan(url, workers, args.extra)
        print(f"db: {workers} worker(s): {run['rows_per_s']:,.0f} rows/s, {run['peak_rss_mb']}", file=sys.stderr)
        results["runs"].append(run)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
