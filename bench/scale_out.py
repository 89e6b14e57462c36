"""Scale-out benchmark: the local process pool vs a Dask LocalCluster, 1 and 2 workers each.

Generates (or reuses) a fake estate with bench/estate.py, then scans it into a fresh index through the real
command line once per (executor, workers) pair: ``--executor local`` (the process pool) and ``--executor dask``
(a ``LocalCluster`` of worker processes with one thread each, started by the scan itself, so its start-up is
in the wall time).  Prints a Markdown table for docs/benchmarks.md and writes bench/out/dask.json with the
scaling ratios.  No personal values are printed.

    python bench/dask.py --size-mb 16 --workers 1 2 --out bench/out
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from scan import run_scan as cli_scan  # noqa: E402 - bench/ is on sys.path only from here

EXECUTORS = ("local", "dask")


def load_average() -> float:
    """The 1-minute load average when the run started: says whether the machine was quiet."""
    return round(os.getloadavg()[0], 2)


def scan(root: Path, index: Path, executor: str, workers: int, extra: list[str]) -> dict:
    """One scan into a fresh index through the real command line (bench/scan.py), reduced to what this reports."""
    shutil.rmtree(index, ignore_errors=True)
    load = load_average()
    summary = cli_scan(root, index, workers, ["--executor", executor, *extra])
    wall = summary["wall_s"]
    return {
        "wall_s": round(wall, 2),
        "scan_s": round(summary["elapsed"], 2),
        "mb_per_s": round(summary["bytes_scanned"] / 1e6 / wall, 3),
        "records": summary["records"],
        "findings": sum(summary["findings_by_entity"].values()),
        "items_scanned": summary["items_scanned"],
        "items_failed": summary["items_failed"],
        "units": summary["units"],
        "peak_rss_mb": summary.get("peak_rss_mb", {}),
        "load_before": load,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=16, help="estate size (16 MB: about 40 s with 1 worker)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-ner", action="store_true", help="scan identifiers only")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from estate import generate_estate

    estate = generate_estate(
        args.out / f"estate-{args.size_mb:g}mb-seed{args.seed}", size_mb=args.size_mb, seed=args.seed
    )
    extra = ["--no-ner"] if args.no_ner else []
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "estate_mb": round(estate.total_bytes / 1e6, 1),
        "ner": not args.no_ner,
        "runs": {},
    }
    for executor in EXECUTORS:
        for workers in args.workers:
            index = args.out / f"index-dask-bench-{executor}-w{workers}"
            run = scan(Path(estate.root), index, executor, workers, extra)
            results["runs"][f"{executor}-{workers}"] = run
            print(f"{executor}, {workers} worker(s): {run}", file=sys.stderr)
    first = args.workers[0]
    runs = results["runs"]
    results["scaling"] = {
        f"{executor}_{workers}_vs_{first}": round(
            runs[f"{executor}-{first}"]["wall_s"] / runs[f"{executor}-{workers}"]["wall_s"], 2
        )
        for executor in EXECUTORS
        for workers in args.workers[1:]
    }
    results["dask_vs_local"] = {
        str(workers): round(runs[f"local-{workers}"]["wall_s"] / runs[f"dask-{workers}"]["wall_s"], 2)
        for workers in args.workers
    }
    (args.out / "dask.json").write_text(json.dumps(results, indent=2))
    print(render_markdown(results))


def render_markdown(r: dict) -> str:
    lines = [
        f"Estate: {r['estate_mb']} MB from `bench/estate.py`, NER {'on' if r['ner'] else 'off'}; {r['machine']}.",
        "",
        "| executor | workers | wall time (s) | MB/s | findings | peak RSS parent / worker (MB) | load before |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, run in r["runs"].items():
        executor, workers = name.rsplit("-", 1)
        label = "process pool" if executor == "local" else "Dask LocalCluster"
        rss = run["peak_rss_mb"]
        lines.append(
            f"| {label} | {workers} | {run['wall_s']} | {run['mb_per_s']} | {run['findings']:,} "
            f"| {rss.get('parent', '?')} / {rss.get('largest_worker', '?')} | {run['load_before']} |"
        )
    lines += ["", f"Scaling (wall time of the first worker count / this one): {r['scaling']}."]
    lines.append(f"Dask vs process pool at equal workers (pool time / Dask time): {r['dask_vs_local']}.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
