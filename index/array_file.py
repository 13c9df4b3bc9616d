"""The file form the derived arrays share (the BM25 postings, the passage matrix): a JSON header, then a
run of .npy arrays, written atomically and read back memory-mapped."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from abstract_search.index.atomic import write_atomic


def save_arrays(path: Path, header: dict, arrays: Sequence[np.ndarray]) -> None:
    """Write the header and the arrays atomically, in order."""
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            for array in (np.frombuffer(json.dumps(header).encode(), dtype=np.uint8), *arrays):
                np.lib.format.write_array(handle, np.ascontiguousarray(array), allow_pickle=False)

    write_atomic(Path(path), write)


def load_arrays(path: Path, count: int, mmap: bool = True) -> tuple[dict, list[np.ndarray]]:
    """Return the header and the `count` arrays saved at `path`, each a plain view of a map of the file
    opened here (a save may rename another in meanwhile), or read into memory without `mmap`.

    Raises OSError, ValueError (a truncated or malformed file), KeyError or EOFError.
    """
    arrays = []
    with open(path, "rb") as handle:
        for _ in range(count + 1):
            version = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, _, dtype = read_header(handle)
            offset, size = handle.tell(), int(np.prod(shape))
            if mmap and size:
                # a plain view of the map: slicing an np.memmap costs microseconds per call
                arrays.append(np.asarray(np.memmap(handle, dtype=dtype, mode="r", offset=offset, shape=shape)))
            else:
                arrays.append(np.fromfile(handle, dtype=dtype, count=size).reshape(shape))
            handle.seek(offset + size * dtype.itemsize)
    return json.loads(bytes(arrays[0]).decode()), arrays[1:]
