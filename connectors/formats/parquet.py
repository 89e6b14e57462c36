"""Parquet: batches per row-group range, every column converted to strings.

Work units are ranges of row groups, so the first row number of a unit is the
sum of the rows of the earlier row groups plus one.  Binary columns are not
read at all (not text; often large).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from piiscan.connectors.base import TableBatch
from piiscan.connectors.formats.common import TABLE_BATCH_ROWS, ReadFailure
from piiscan.connectors.formats.tables import is_binary_type, stringify

MAGIC = b"PAR1"


def open_parquet(source: BinaryIO) -> pq.ParquetFile:
    """The file's metadata, or a ReadFailure that says whether it is Parquet at all."""
    source.seek(0, 2)
    size = source.tell()
    tail = b""
    if size >= 12:
        source.seek(size - 4)
        tail = source.read(4)
    source.seek(0)
    if source.read(4) != MAGIC or tail != MAGIC:
        raise ReadFailure("not a Parquet file (bad footer)")
    source.seek(0)
    try:
        return pq.ParquetFile(source)
    except (pa.ArrowException, OSError) as exc:
        raise _arrow_failure(exc, "corrupt Parquet file (unreadable metadata)") from None


def row_group_sizes(source: BinaryIO) -> list[tuple[int, int]]:
    """(rows, compressed bytes) of each row group, for planning work units."""
    metadata = open_parquet(source).metadata
    sizes = []
    for index in range(metadata.num_row_groups):
        group = metadata.row_group(index)
        stored = sum(group.column(c).total_compressed_size for c in range(group.num_columns))
        sizes.append((group.num_rows, stored))
    return sizes


def read_parquet(source: BinaryIO, start: int | None = None, stop: int | None = None) -> Iterator[TableBatch]:
    """Rows of row groups [start, stop) (all when None) as string batches."""
    parquet = open_parquet(source)
    metadata = parquet.metadata
    groups = list(range(start or 0, metadata.num_row_groups if stop is None else stop))
    row = sum(metadata.row_group(i).num_rows for i in range(start or 0)) + 1
    columns = [f.name for f in parquet.schema_arrow if not is_binary_type(f.type)]
    if not groups or not columns:
        return
    try:
        for batch in parquet.iter_batches(
            batch_size=TABLE_BATCH_ROWS, row_groups=groups, columns=columns, use_threads=False
        ):
            strings = stringify(batch)
            if strings.num_columns:
                yield TableBatch(strings, first_row=row)
            row += batch.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise _arrow_failure(exc, f"corrupt Parquet file (unreadable data after row {row - 1})") from None


def _arrow_failure(exc: BaseException, reason: str) -> BaseException:
    """Arrow reports corrupt data as OSError without errno; a real I/O error keeps its errno."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return exc
    return ReadFailure(reason)
