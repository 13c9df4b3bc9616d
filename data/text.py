"""Checks on text that every reader and door shares."""

from __future__ import annotations

import re

LONE_SURROGATE = re.compile("[\ud800-\udfff]")
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc


def has_lone_surrogate(text: str) -> bool:
    """Return whether the text holds a lone UTF-16 surrogate, which JSON can carry and UTF-8 cannot encode."""
    return LONE_SURROGATE.search(text) is not None
