"""The index layer: the subject index on disk or S3, its keys, canonical row keys, sanitised labels,
retention categories and the per-subject lookup that every report and request reads."""
