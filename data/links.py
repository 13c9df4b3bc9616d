"""Where a paper can be opened, and the date its arXiv id encodes: derived from what a record says, never invented."""

from __future__ import annotations

import re

# New-style arXiv ids (April 2007 on): YYMM.NNNN or YYMM.NNNNN, optionally vN.
NEW_ARXIV = re.compile(r"^(?:arxiv:)?(\d{2})(\d{2})\.\d{4,5}(?:v\d+)?$", re.IGNORECASE)
# Old-style ids (1991 to March 2007): archive[.SUBJECT]/YYMMNNN, optionally vN.
OLD_ARXIV = re.compile(r"^(?:arxiv:)?([a-z][a-z-]*(?:\.[A-Z]{2})?)/(\d{2})(\d{2})\d{3}(?:v\d+)?$", re.IGNORECASE)
DOI = re.compile(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
VERSION = re.compile(r"v\d+$")


def arxiv_id(paper_id: str) -> str | None:
    """Return the id without its version if it is an arXiv id (new or old style, of a real month), else None."""
    text = paper_id.strip()
    if arxiv_month(text) is None:
        return None
    return VERSION.sub("", re.sub(r"^arxiv:", "", text, flags=re.IGNORECASE))


def arxiv_month(paper_id: str) -> tuple[int, int] | None:
    """Return the (year, month) an arXiv id encodes, or None for any other id."""
    text = paper_id.strip()
    new, old = NEW_ARXIV.match(text), OLD_ARXIV.match(text)
    if new:
        year, month = 2000 + int(new.group(1)), int(new.group(2))
        valid = (year, month) >= (2007, 4)
    elif old:
        yy, month = int(old.group(2)), int(old.group(3))
        year = 1900 + yy if yy >= 91 else 2000 + yy
        valid = (1991, 8) <= (year, month) <= (2007, 3)
    else:
        return None
    return (year, month) if valid and 1 <= month <= 12 else None


def paper_url(paper_id: str, given_url: str | None = None, doi: str | None = None) -> str | None:
    """Return the address to open a paper at: the record's own http(s) link, else its DOI's resolver, else
    the arXiv abstract page its id names; None when none of them is known."""
    if given_url and re.match(r"^https?://\S+$", given_url.strip(), re.IGNORECASE):
        return given_url.strip()
    for candidate in (doi, paper_id):
        found = DOI.match(candidate.strip()) if candidate else None
        if found:
            return f"https://doi.org/{found.group(1)}"
    arxiv = arxiv_id(paper_id)
    return f"https://arxiv.org/abs/{arxiv}" if arxiv else None
