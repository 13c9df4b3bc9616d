"""Paper ids in URL paths: an id may hold "/" (arXiv's hep-th/9901001) and may even end in "/similar".

A client sends such a slash as %2F (JavaScript's encodeURIComponent does). The server decodes paths before
routing, so this middleware first turns each %2F of a /papers/ path into a NUL character, which no id can
hold (data/ids.py refuses control characters); routing then splits the path only at real slashes, and
`path_id` turns the NULs back into slashes.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

ENCODED_SLASH = re.compile(rb"%2f", re.IGNORECASE)
STAND_IN = "\x00"


class EncodedSlashMiddleware:
    """Keep %2F inside /papers/ paths apart from the path's own slashes."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        """Rewrite the decoded path of a /papers/ request whose raw path holds %2F."""
        raw = scope.get("raw_path") if scope["type"] == "http" else None
        if raw and raw.startswith(b"/papers/") and ENCODED_SLASH.search(raw):
            scope = dict(scope, path=unquote(ENCODED_SLASH.sub(b"%00", raw).decode("ascii", "replace")))
        await self.app(scope, receive, send)


def path_id(value: str) -> str:
    """Return the paper id a path parameter names, with its encoded slashes back."""
    return value.replace(STAND_IN, "/")
