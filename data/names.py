"""How an author filter matches a name: by its parts, case-insensitively, an initial standing for a part."""

from __future__ import annotations

import json
import re

PART = re.compile(r"[^\W_]+", re.UNICODE)  # runs of letters and digits: "J. -P. Yuan" -> j, p, yuan


def name_parts(name: str) -> list[str]:
    """Return the lowercase runs of letters and digits of a name ("Team 42" keeps its 42)."""
    return [part.casefold() for part in PART.findall(name)]


def author_matches(name: str, asked: str) -> bool:
    """Return whether an author's name matches what was asked: every asked part is a part of the name, or
    the initial of one (or the name has that part as an initial), each a different part, in any order, and at
    least one asked part of two letters or more is a whole part. "Weston", "weston", "J. Weston" and
    "Weston, Jason" all match "Jason Weston"; "Li" matches "Wei Li" but not "Lin" or "Liu"."""
    wanted, parts = name_parts(asked), name_parts(name)
    if not wanted or not any(len(w) > 1 and w in parts for w in wanted):
        return False
    free = list(parts)
    for w in sorted(wanted, key=len, reverse=True):  # whole parts claim theirs before initials do
        match = next((p for p in free if p == w), None) or next(
            (p for p in free if (len(w) == 1 and w.isalpha() and p[0] == w)
             or (len(p) == 1 and p.isalpha() and w[0] == p)), None)
        if match is None:
            return False
        free.remove(match)
    return True


def any_author_matches(authors_json: str, asked: str) -> bool:
    """Return whether any name in a stored JSON list of authors matches (a SQLite function, index/store.py)."""
    return any(author_matches(name, asked) for name in json.loads(authors_json))
