"""The paper id rules, defined once for every reader and door, and the duplicate-id check within one batch.

An id is taken as given, except that surrounding whitespace is stripped and Unicode is put in NFC form (the
same visible id typed on two keyboards is one id). Inner whitespace is kept as it is, so "p  q" and "p q" are
two papers. An id is refused when it is empty, longer than MAX_ID_CHARS, or holds a control character or a
lone surrogate. Every id is addressable over HTTP: a "/" inside an id may be sent as %2F.
"""

from __future__ import annotations

import unicodedata

from abstract_search.data.text import CONTROL_CHARS, has_lone_surrogate

MAX_ID_CHARS = 512


class IdError(ValueError):
    """An id breaks the id rules; the message says which."""


def clean_id(value: str) -> str:
    """Return the id as stored, or raise IdError naming the rule it breaks."""
    text = unicodedata.normalize("NFC", value.strip())
    if not text:
        raise IdError("field 'id' is empty")
    if len(text) > MAX_ID_CHARS:
        raise IdError(f"field 'id' is longer than {MAX_ID_CHARS} characters")
    if CONTROL_CHARS.search(text):
        raise IdError("field 'id' contains a control character (tab, newline, ...)")
    if has_lone_surrogate(text):
        raise IdError("field 'id' contains an invalid character (lone surrogate)")
    return text


class FirstOfEachId:
    """Remembers where each id was first seen in one batch or file; later records with the id are refused."""

    def __init__(self):
        self.first: dict[str, str] = {}

    def duplicate(self, paper_id: str, where: str) -> str | None:
        """Return why the record at `where` is refused (its id came earlier), or None and remember it."""
        earlier = self.first.setdefault(paper_id, where)
        if earlier == where:
            return None
        return f"duplicate id {paper_id!r}: the record at {earlier} has it too and is the one kept"


def lookup_ids(value: str) -> list[str]:
    """Return the ids to look a paper up by, in order: the value as given (an index built before these rules
    may hold it), then the value as the rules store it."""
    try:
        return list(dict.fromkeys([value, clean_id(value)]))
    except IdError:
        return [value]
