"""piiscan: plan scans, run the worker pool and write the subject index."""

__version__ = "0.1.0"
