"""``python -m piiscan`` runs the piiscan command line."""

import sys

from piiscan.cli import main

sys.exit(main())
