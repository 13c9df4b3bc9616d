"""One BLAS thread for numpy in a process that answers queries, so FAISS's threads keep the cores."""

from __future__ import annotations

import threading
from pathlib import Path

_done = threading.Event()


def single_threaded_numpy_blas() -> None:
    """Limit the BLAS libraries numpy uses (not FAISS's own) to one thread, once per process.

    A query's products are small (a few hundred vectors by 384), and OpenBLAS's idle threads spin after
    each one, taking the cores FAISS's OpenMP search threads wait for: at 124,630 papers with passage vectors
    on 2 cores, hybrid p50 was 17.9 ms with numpy's BLAS at 2 threads and 10.0 ms at 1 (bench/passages_cost.py).
    """
    if _done.is_set():
        return
    from threadpoolctl import ThreadpoolController

    faiss_libraries = "faiss"
    for library in ThreadpoolController().select(user_api="blas").lib_controllers:
        if faiss_libraries not in Path(library.filepath).as_posix():
            library.set_num_threads(1)
    _done.set()
