"""Errors raised by the index room, each naming the file and the fix."""


class IndexFailure(Exception):
    """Base error for a problem with the on-disk index."""


class ModelMismatchError(IndexFailure):
    """The index was built with another embedding model than the one asked for."""


class IndexNotFoundError(IndexFailure):
    """No index exists at the given directory."""


class DamagedIndexError(IndexFailure):
    """An index file is unreadable; the message names the file and the fix."""


class StoreUnavailableError(IndexFailure):
    """The paper store cannot be written now (locked, read-only, full disk); nothing was changed."""


class ReadOnlyIndexError(IndexFailure):
    """A write was asked of an index served read-only (--read-only, or files that refuse writes)."""


class PassageSchemeError(IndexFailure):
    """The index holds passage vectors of another scheme than this version writes."""
