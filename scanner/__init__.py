"""scanner: plan scans and run them on a process pool or a Dask cluster; the only writer of the index."""
