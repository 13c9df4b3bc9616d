"""Errors raised by the corpus readers, each naming the file and the fix."""


class CorpusError(Exception):
    """A corpus cannot be read at all: missing file, unknown format, bad option."""
