"""Detectors: find, validate, normalise and mask personal data in text and tables."""
