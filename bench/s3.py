"""S3 scan benchmark: the bench estate's files uploaded to a local S3 endpoint, scanned through the CLI.

Generates (or reuses) a ``bench/estate.py`` estate, starts moto's S3 server on
127.0.0.1 (a real HTTP endpoint, as in the tests), uploads the estate's files
(the SQLite database stays out: databases in S3 are skipped), then runs
``piiscan scan s3://bench/estate`` and, for comparison, ``piiscan scan`` of the
same local folder, once per worker count.  Reports MB/s, records/s, findings
and peak RSS from the scan records.

    python bench/s3.py --size-mb 20 --workers 1 2     # JSON in bench/out/s3.json

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
sys.path.insert(0, str(REPO / "bench"))
DEFAULT_OUT = REPO / "bench" / "out" / "s3.json"
BENCH_KEY = "5a" * 32
BUCKET = "bench"


def upload(root: Path, endpoint: str) -> tuple[int, int]:
    """Every file of the estate but databases, under ``estate/``; (objects, bytes)."""
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    count = size = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in (".sqlite", ".db")):
        client.upload_file(str(path), BUCKET, f"estate/{path.relative_to(root).as_posix()}")
        count, size = count + 1, size + path.stat().st_size
    return count, size


def run_scan(source: str, workers: int, env: dict[str, str]) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="piiscan-s3-bench-"))
    try:
        cmd = [sys.executable, "-m", "piiscan", "scan", source, "--index", str(work / "index")]
        cmd += ["--workers", str(workers), "--format", "json", "--quiet"]
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=work, check=False)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"s3: scan of {source} failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")
        summary = json.loads(proc.stdout)
        return {
            "source": "s3" if source.startswith("s3://") else "local",
            "workers": workers,
            "wall_s": round(wall, 2),
            "bytes": summary["bytes_scanned"],
            "mb_per_s": round(summary["bytes_scanned"] / 1e6 / wall, 3),
            "records_per_s": round(summary["records"] / wall, 1),
            "items": summary["items_scanned"],
            "failed": summary["items_failed"],
            "findings": sum(summary["findings_by_entity"].values()),
            "peak_rss_mb": summary.get("peak_rss_mb", {}),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "| run | wall time (s) | MB/s | records/s | items | findings | peak RSS writer / worker (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in results["runs"]:
        rss = run["peak_rss_mb"]
        where = "S3 (moto on 127.0.0.1)" if run["source"] == "s3" else "the same files on local disk"
        lines.append(
            f"| {where}, {run['workers']} worker(s) | {run['wall_s']} | {run['mb_per_s']} | "
            f"{run['records_per_s']:,.0f} | {run['items']} | {run['findings']:,} | "
            f"{rss.get('parent', '?')} / {rss.get('largest_worker', '?')} |"
        )
    env = results["environment"]
    lines += [
        "",
        f"Estate: {results['objects']} objects, {results['bytes'] / 1e6:.1f} MB (`bench/estate.py --size-mb "
        f"{results['size_mb']:g}` without its SQLite database); {env['machine']}, {env['cpus']} CPUs, "
        f"Python {env['python']}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "piiscan-bench")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    from estate import generate_estate
    from moto.server import ThreadedMotoServer

    root = args.work / f"estate-{args.size_mb:g}mb-seed{args.seed}"
    if not (root / "files").exists():
        generate_estate(root, size_mb=args.size_mb, seed=args.seed)
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        objects, size = upload(root / "files", endpoint)
        env = os.environ.copy() | {"PIISCAN_HMAC_KEY": BENCH_KEY, "AWS_ENDPOINT_URL": endpoint}
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        runs = []
        for workers in args.workers:
            for source in (f"s3://{BUCKET}/estate", str(root / "files")):
                run = run_scan(source, workers, env)
                print(f"s3: {run['source']}, {workers} worker(s): {run['mb_per_s']} MB/s", file=sys.stderr)
                runs.append(run)
    finally:
        server.stop()
    results = {
        "size_mb": args.size_mb,
        "objects": objects,
        "bytes": size,
        "environment": {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count()},
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
