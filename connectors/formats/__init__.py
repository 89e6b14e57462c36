"""Format readers: turn a binary stream into TextChunks, TableBatches and ItemProblems.

Readers know nothing about where bytes come from (local disk, S3, SMB): the
caller opens the right byte range, decompresses, chooses the encoding for the
whole unit and stamps the item onto problems (readers yield ItemProblems
with an empty ``item_id``).  A reader that cannot go on raises an exception
from ``common.READ_ERRORS``; ``common.failure_reason`` turns it into a safe
one-line reason.

- ``text.read_text``: lines in chunks of up to 2,000 lines / ~1 MiB; a line over 66 K characters in
  overlapping 64 K pieces located ``{"line": n, "offset": c}`` (``text.owned_matches`` keeps each match once).
- ``delimited.read_delimited``: CSV/TSV via pyarrow, all columns strings.
- ``jsonl.read_jsonl``: one flattened row per line.
- ``jsondoc.read_json``: a whole document as tables of records.
- ``parquet.read_parquet``: row-group ranges, all columns strings.
"""
