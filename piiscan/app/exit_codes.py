"""Exit codes shared by the command line and the workspace API (scripts and schedulers branch on them)."""

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: Exit code of ``erase`` when an action was refused or failed, or verification found the data still there.
EXIT_INCOMPLETE = 3
