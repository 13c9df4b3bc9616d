"""Corpus readers: each streams one file format as Paper or Rejected records."""
