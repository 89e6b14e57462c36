"""Connectors: enumerate items of a source and read them as text or Arrow batches."""
