"""Turn one raw record (a JSON object or CSV row) into a Paper, checking every field's type."""

from __future__ import annotations

import datetime
import hashlib
import re
from typing import Mapping

from abstract_search.data.errors import CorpusError
from abstract_search.data.ids import IdError, clean_id
from abstract_search.data.links import arxiv_month, paper_url
from abstract_search.data.paper import Paper
from abstract_search.data.readers.lines import type_name
from abstract_search.data.text import CONTROL_CHARS

PAPER_FIELDS = (
    "id", "title", "abstract", "authors", "affiliations",
    "date", "year", "categories", "has_code", "url",
)
URL_FALLBACKS = ("link",)  # other names records give a paper's address under
DEFAULT_FIELD_MAP = {name: name for name in PAPER_FIELDS}
ABSTRACT_FALLBACKS = ("text", "summary")

MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
ISO_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ].*)?$")
YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
YEAR_ONLY = re.compile(r"^(\d{4})$")
DAY_MONTH_YEAR = re.compile(r"^(?:[A-Za-z]{3},?\s+)?(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?\s+(\d{4})\b")
MONTH_DAY_YEAR = re.compile(r"^([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})$")
NAME_SEPARATORS = re.compile(r"\s*,\s*(?:and\s+)?|\s*;\s*|\s+and\s+")
MAX_TEXT_CHARS = 100_000  # a title or abstract longer than this is no abstract; refused before it is embedded
TRUE_WORDS = {"true", "yes", "y", "1"}
FALSE_WORDS = {"false", "no", "n", "0", ""}


class RecordError(ValueError):
    """One record is unusable; the message says why in plain words."""


def resolve_field_map(field_map: Mapping[str, str] | None) -> dict[str, str]:
    """Return the default field map overlaid with the user's, or raise CorpusError on a bad key."""
    resolved = dict(DEFAULT_FIELD_MAP)
    for name, key in (field_map or {}).items():
        if name not in DEFAULT_FIELD_MAP:
            raise CorpusError(
                f"unknown Paper field {name!r} in field_map; valid fields: {', '.join(PAPER_FIELDS)}"
            )
        if not isinstance(key, str):
            raise CorpusError(f"field_map[{name!r}] must be a column/key name string, got {key!r}")
        resolved[name] = key
    return resolved


def clean_text(value: str, key: str) -> str:
    """Collapse all whitespace to single spaces and drop control characters."""
    text = " ".join(value.split())
    if not text.isprintable():  # cheap check first: the regex pass is the slow part
        text = CONTROL_CHARS.sub("", text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise RecordError(f"field {key!r} contains an invalid character (lone surrogate)") from None
    return text


def get_text(record: Mapping, key: str) -> str | None:
    """Return the cleaned string at `key`, None when absent or empty; reject other types."""
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"field {key!r} must be a string, got {type_name(value)}")
    return clean_text(value, key) or None


def get_id(record: Mapping, key: str) -> str | None:
    """Return the record id by the id rules (data/ids.py); ints are accepted, other types are not."""
    value = record.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise RecordError(f"field {key!r} must be a string, got {type_name(value)}")
    try:
        return clean_id(value)
    except IdError as error:
        raise RecordError(str(error)) from None


def check_length(value: object, key: str) -> None:
    """Refuse a text field over MAX_TEXT_CHARS before anything copies or tokenizes it."""
    if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
        raise RecordError(f"field {key!r} has {len(value):,} characters; at most {MAX_TEXT_CHARS:,} are accepted")


def split_names(text: str) -> tuple[str, ...]:
    """Split "A, B and C" (or "A; B") into names, dropping a trailing "et al."."""
    text = re.sub(r",?\s*et\s+al\.?\s*$", "", text.strip())
    return tuple(name for name in NAME_SEPARATORS.split(text) if name)


def split_list(text: str) -> tuple[str, ...]:
    """Split "A, B; C" into parts (no " and " split: affiliations contain it)."""
    return tuple(part.strip() for part in re.split(r"[,;]", text) if part.strip())


def get_names(record: Mapping, key: str, split=split_names) -> tuple[str, ...]:
    """Return a list-of-strings field (or one string to split) as a tuple of clean names."""
    value = record.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return split(clean_text(value, key))
    if isinstance(value, list):
        names = []
        for position, item in enumerate(value, 1):
            if not isinstance(item, str):
                raise RecordError(
                    f"field {key!r} must be a list of strings, item {position} is {type_name(item)}"
                )
            name = clean_text(item, key)
            if name:
                names.append(name)
        return tuple(names)
    raise RecordError(f"field {key!r} must be a list of strings or a string, got {type_name(value)}")


def get_categories(record: Mapping, key: str) -> tuple[str, ...]:
    """Return categories given as a list or a space/comma-separated string."""
    value = record.get(key)
    if isinstance(value, str):
        return tuple(part for part in re.split(r"[\s,]+", clean_text(value, key)) if part)
    return get_names(record, key)


def get_year(record: Mapping, key: str) -> int | None:
    """Return a year given as an int or a string of digits."""
    value = record.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool):
        raise RecordError(f"field {key!r} must be a year number, got {type_name(value)}")
    if not 1000 <= value <= 9999:
        raise RecordError(f"field {key!r} is not a plausible year: {value}")
    return value


def get_has_code(record: Mapping, key: str) -> bool:
    """Return a boolean given as true/false, 0/1 or yes/no."""
    value = record.get(key)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise RecordError(f"field {key!r} must be true or false, got {value!r}")


def make_date(year: int, month: int, day: int, original: str) -> str:
    """Return the ISO date, or raise RecordError when the day does not exist."""
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        raise RecordError(f"not a real date: {original!r}") from None


def parse_date(text: str) -> tuple[str | None, int | None]:
    """Parse an ISO, year-month, year, or "2 Apr 2007"-style date into (ISO date, year)."""
    text = text.strip()
    if match := ISO_DATE.match(text):
        year, month, day = map(int, match.groups())
        return make_date(year, month, day, text), year
    if match := YEAR_MONTH.match(text):
        year, month = map(int, match.groups())
        make_date(year, month, 1, text)
        return None, year
    if match := YEAR_ONLY.match(text):
        return None, int(text)
    if match := DAY_MONTH_YEAR.match(text):
        day, month_name, year = match.groups()
        month, day, year = MONTHS.get(month_name.lower()), int(day), int(year)
    elif match := MONTH_DAY_YEAR.match(text):
        month_name, day, year = match.groups()
        month, day, year = MONTHS.get(month_name.lower()), int(day), int(year)
    else:
        month = None
    if month is None:
        raise RecordError(f"unreadable date: {text!r}")
    return make_date(year, month, day, text), year


def get_date(record: Mapping, key: str) -> tuple[str | None, int | None]:
    """Return (ISO date, year) from a date string field."""
    text = get_text(record, key)
    if text is None:
        return None, None
    try:
        return parse_date(text)
    except RecordError as error:
        raise RecordError(f"field {key!r}: {error}") from None


def hash_id(title: str, abstract: str) -> str:
    """Return a stable id for a record that has none: "h-" and 12 hex chars of its text."""
    digest = hashlib.sha256(f"{title}\n{abstract}".encode("utf-8")).hexdigest()
    return f"h-{digest[:12]}"


def paper_from_record(
    record: Mapping, fields: Mapping[str, str], source: str, abstract_fallbacks: tuple[str, ...] = ()
) -> Paper:
    """Build a Paper from a raw record using `fields` (Paper field -> key); raise RecordError."""
    for key in (fields["title"], fields["abstract"], *abstract_fallbacks):
        check_length(record.get(key), key)
    title = get_text(record, fields["title"]) or ""
    abstract = None
    for key in (fields["abstract"], *abstract_fallbacks):
        abstract = get_text(record, key)
        if abstract:
            break
    if not abstract:
        raise RecordError("missing abstract")
    date, date_year = get_date(record, fields["date"])
    year = get_year(record, fields["year"])
    paper_id = get_id(record, fields["id"]) or hash_id(title, abstract)
    if year is None and date_year is None:
        month = arxiv_month(paper_id)  # an arXiv id says when it was submitted: README, "Input formats"
        if month:
            date, date_year = f"{month[0]:04d}-{month[1]:02d}", month[0]
    given_url = next(filter(None, (get_text(record, key) for key in (fields["url"], *URL_FALLBACKS))), None)
    return Paper(
        id=paper_id,
        title=title,
        abstract=abstract,
        authors=get_names(record, fields["authors"]),
        affiliations=get_names(record, fields["affiliations"], split_list),
        date=date,
        year=year if year is not None else date_year,
        categories=get_categories(record, fields["categories"]),
        has_code=get_has_code(record, fields["has_code"]),
        source=source,
        url=paper_url(paper_id, given_url, get_text(record, "doi")),
    )
