"""The version piiscan records in every scan it writes."""

__version__ = "0.1.0"
