"""``python -m piiscan`` runs the piiscan command line."""

from piiscan.cli import run

run()
