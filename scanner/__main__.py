"""``python -m scanner`` runs the piiscan command line."""

import sys

from scanner.cli import main

sys.exit(main())
