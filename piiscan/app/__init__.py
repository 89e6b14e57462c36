"""The application layer: the workspace API, DSAR answers, erasure and exports that the CLI (and later the
web app) share."""
