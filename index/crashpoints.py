"""Named crash points on every durable-write boundary, so tests can SIGKILL a writer at an exact step.

`ABSTRACTS_CRASH_AT=POINT` (or `POINT#N` for its N-th time) makes the process kill itself with SIGKILL the
moment it reaches that point; unset, `reach` does nothing. Points are named `STEP:FILE`, for example
`renamed:vectors.faiss` or `committed:papers.sqlite`; `ABSTRACTS_CRASH_LOG=PATH` appends every point
reached, one a line, so a test can list the boundaries of a command before it kills at each one.
"""

from __future__ import annotations

import os
import signal

ENV_POINT = "ABSTRACTS_CRASH_AT"
ENV_LOG = "ABSTRACTS_CRASH_LOG"
_seen: dict[str, int] = {}


def reach(point: str) -> None:
    """Note that the writer reached `point`; SIGKILL this process if that is the point asked for."""
    log = os.environ.get(ENV_LOG)
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(point + "\n")
    wanted = os.environ.get(ENV_POINT)
    if not wanted:
        return
    name, _, nth = wanted.partition("#")
    if name != point:
        return
    _seen[point] = _seen.get(point, 0) + 1
    if _seen[point] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
