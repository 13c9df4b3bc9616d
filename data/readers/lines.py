"""Open a corpus file (plain or gzip) and yield its lines one by one, decoded line by line."""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from abstract_search.data.errors import CorpusError
from abstract_search.data.paper import Rejected

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
# Errors a damaged gzip stream raises part way through reading.
GZIP_ERRORS = (OSError, EOFError, zlib.error)
# A line longer than this is refused without being held whole: a record with a 100,000-character abstract
# (fields.MAX_TEXT_CHARS) and its metadata is far shorter, and a 200 MB line is not a paper.
MAX_LINE_BYTES = 4 << 20
MAX_WHOLE_FILE_BYTES = 256 << 20  # a file parsed whole (a JSON array, BibTeX, RIS): bounded, unlike JSON Lines


@dataclass(frozen=True)
class Line:
    """One line of a corpus file: its 1-based number, its text, and why it is bad (or None)."""

    number: int
    text: str
    error: str | None = None
    fatal: bool = False  # True: the file cannot be read past this point


def require_file(path: Path | str) -> Path:
    """Return `path` as a Path, or raise CorpusError when it is not a readable file."""
    path = Path(path)
    if not path.exists():
        raise CorpusError(f"corpus file not found: {path}")
    if not path.is_file():
        raise CorpusError(f"corpus path is not a file: {path}")
    return path


def is_gzip(path: Path) -> bool:
    """Return True when the file starts with the gzip magic bytes."""
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def open_binary(path: Path) -> BinaryIO:
    """Open the file for binary reading, decompressing it when it is gzip."""
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")


def read_whole_text(path: Path, kind: str, split_hint: str) -> str | Rejected:
    """Return a file that is parsed whole as text (gzip unpacked, BOM dropped), or one Rejected saying why not."""
    try:
        with open_binary(path) as handle:
            data = handle.read(MAX_WHOLE_FILE_BYTES + 1)
    except GZIP_ERRORS as error:
        return Rejected(path.name, 1, f"not a readable {kind} file ({error})")
    if len(data) > MAX_WHOLE_FILE_BYTES:
        return Rejected(path.name, 1, f"a {kind} file over {MAX_WHOLE_FILE_BYTES >> 20} MiB is read whole into "
                                      f"memory; {split_hint}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return Rejected(path.name, 1, f"not a UTF-8 {kind} file (byte {error.start}: "
                                      f"{data[error.start:error.start + 1].hex()}); save it as UTF-8")


def decode_line(raw: bytes) -> tuple[str, str | None]:
    """Decode one line as UTF-8; on failure return the text with replacements and a reason."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as error:
        bad = raw[error.start : error.start + 1].hex()
        reason = f"not UTF-8 text (byte 0x{bad} at column {error.start + 1})"
        return raw.decode("utf-8", errors="replace"), reason


def iter_lines(path: Path, keep_ends: bool = False) -> Iterator[Line]:
    """Yield every line of the file; a bad line carries an error and the rest still comes."""
    number = 0
    with open_binary(path) as handle:
        while True:
            try:
                raw = handle.readline(MAX_LINE_BYTES + 1)
                too_long = len(raw) > MAX_LINE_BYTES
                piece = raw
                while piece and not piece.endswith(b"\n") and too_long:
                    piece = handle.readline(MAX_LINE_BYTES)  # skip the rest of the line, a piece at a time
            except GZIP_ERRORS as error:
                yield Line(number + 1, "", f"corrupt gzip data in {path.name}: {error}", fatal=True)
                return
            if not raw:
                return
            number += 1
            if too_long:
                yield Line(number, "", f"line is longer than {MAX_LINE_BYTES >> 20} MiB: no paper record is that long")
                continue
            if number == 1 and raw.startswith(UTF8_BOM):
                raw = raw[len(UTF8_BOM) :]
            if not keep_ends:
                raw = raw.rstrip(b"\r\n")
            text, error = decode_line(raw)
            yield Line(number, text, error)


def iter_json_objects(path: Path) -> Iterator[tuple[int, dict] | Rejected]:
    """Yield (line number, object) for each JSON line, or Rejected for a bad one; skip blanks."""
    source = path.name
    for line in iter_lines(path):
        if line.error:
            yield Rejected(source, line.number, line.error)
            continue
        text = line.text.strip().lstrip("\ufeff")  # a BOM mid-file: files made by concatenating files
        if not text:
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            yield Rejected(source, line.number, f"invalid JSON: {error.msg} at column {error.colno}")
            continue
        except RecursionError:
            yield Rejected(source, line.number, "invalid JSON: nested too deeply")
            continue
        if not isinstance(value, dict):
            yield Rejected(source, line.number, f"JSON line must be an object, got {type_name(value)}")
            continue
        yield line.number, value


def type_name(value: object) -> str:
    """Return the JSON-ish name of a value's type, as error messages show it."""
    return "null" if value is None else type(value).__name__
