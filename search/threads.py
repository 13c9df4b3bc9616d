"""How a process that answers queries uses its cores: each search on one thread, FAISS's and numpy's alike."""

from __future__ import annotations

import threading
from pathlib import Path

_blas_done = threading.Event()


def one_thread_per_search() -> None:
    """Hold FAISS's OpenMP search and numpy's BLAS (not FAISS's own) to one thread each in this process, as
    `abstracts serve`, its workers and the Ray Serve replicas run; a library user's numpy keeps its threads.

    Requests run in parallel instead. OpenMP threads fighting the query encoder doubled a search's latency;
    a query's products are small (a few hundred vectors by 384), and OpenBLAS's idle threads spin after each
    one, taking the cores FAISS waits for: at 124,630 papers with passage vectors on 2 cores, hybrid p50 was
    17.9 ms with numpy's BLAS at 2 threads and 10.0 ms at 1 (bench/passages_cost.py).
    """
    import faiss

    faiss.omp_set_num_threads(1)
    if _blas_done.is_set():
        return
    from threadpoolctl import ThreadpoolController

    for library in ThreadpoolController().select(user_api="blas").lib_controllers:
        if "faiss" not in Path(library.filepath).as_posix():
            library.set_num_threads(1)
    _blas_done.set()
