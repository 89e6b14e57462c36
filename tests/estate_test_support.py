"""The fake-estate generator (``bench/estate.py``) for tests.

``bench/`` is not a package, so the module is loaded once by path and its API
re-exported::

    from tests.estate_test_support import generate_estate, iter_planted_values

    estate = generate_estate(tmp_path / "estate", size_mb=0.2, seed=1)
    demo = estate.demo  # alice.smith@example.com, with her expected locations

:func:`value_at` reads back the raw text a :class:`Location` points at, so a
test can check locators without hard-coding row numbers.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from tests.conftest import load_bench_module

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_ESTATE = REPO_ROOT / "examples" / "estate"


estate_module = load_bench_module("estate.py")
GeneratedEstate = estate_module.GeneratedEstate
Location = estate_module.Location
Planted = estate_module.Planted
Subject = estate_module.Subject
SQLITE_DB: str = estate_module.SQLITE_DB
check_values = estate_module.check_values
email_forms = estate_module.email_forms
generate_estate = estate_module.generate_estate
generate_examples = estate_module.generate_examples
iter_planted_values = estate_module.iter_planted_values
phone_forms = estate_module.phone_forms


def value_at(root: Path, location: Any) -> str:
    """The raw text at ``location`` in the estate under ``root``: a field's value, or a whole text line."""
    loc, fld = location.locator, location.field
    if location.source == "sqlite":
        with sqlite3.connect(f"file:{root / SQLITE_DB}?mode=ro", uri=True) as db:
            if "rowid" in loc:
                where, args = "rowid = ?", [loc["rowid"]]
            else:
                where = " AND ".join(f"{col} = ?" for col in loc["primary_key"])
                args = list(loc["primary_key"].values())
            (value,) = db.execute(f"SELECT {fld} FROM {location.item} WHERE {where}", args).fetchone()
        return str(value)
    path = root / location.item
    if "line" in loc:
        return path.read_text(encoding="utf-8").splitlines()[loc["line"] - 1]
    if "json_path" in loc:
        index = int(re.fullmatch(r"\$\.tickets\[(\d+)\]", loc["json_path"]).group(1))  # type: ignore[union-attr]
        return str(_dotted(json.loads(path.read_text(encoding="utf-8"))["tickets"][index], fld))
    row = loc["row"]
    if path.name.endswith(".jsonl.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return str(_dotted(json.loads(f.read().splitlines()[row - 1]), fld))
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return str(pq.read_table(path, columns=[fld]).column(0)[row - 1].as_py())
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t" if path.suffix == ".tsv" else ","))
    return rows[row - 1][fld]


def _dotted(doc: dict[str, Any], dotted: str | None) -> Any:
    for key in (dotted or "").split("."):
        doc = doc[key]
    return doc
