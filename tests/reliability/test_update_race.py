"""Two server workers racing on one id: some clients send metadata-only updates, one alternates the text.

Every stored row must stay one paper: its embedding is the embedding of its own title and abstract. The race
runs for a bounded time over fresh ids (a new id every few writes). A watcher reads every racing row from
SQLite all along, as each commit lands, and compares its vector with a fresh embedding of the row's text;
at the end every row is checked again.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import httpx
import numpy as np

from abstract_search.api.engine import Engine
from abstract_search.api.settings import Settings
from tests.api.conftest import TOKEN, start_server, stop_server
from tests.reliability.harness import AUTH

RACE_S = 25
WRITES_PER_ID = 6
TEXTS = ("Graph neural networks predict protein folding from sequence alone.",
         "Tokenizer design changes what speech recognition models can learn.")


def metadata_writer(base: str, stop: threading.Event, current: list[int], errors: list[str]) -> None:
    """Send the first text with a new year each time: metadata-only once that text is stored."""
    year = 1990
    with httpx.Client(base_url=base, timeout=60, headers=AUTH) as http:
        while not stop.is_set():
            year = 1990 + (year - 1989) % 30
            record = {"id": f"race-{current[0]}", "title": "Race", "abstract": TEXTS[0], "year": year}
            answer = http.post("/papers", json={"papers": [record]})
            if answer.status_code != 200:
                errors.append(f"metadata writer: {answer.status_code} {answer.text[:200]}")


def text_writer(base: str, stop: threading.Event, current: list[int], errors: list[str]) -> None:
    """Alternate the id's text; move to a fresh id every WRITES_PER_ID writes."""
    writes = 0
    with httpx.Client(base_url=base, timeout=60, headers=AUTH) as http:
        while not stop.is_set():
            record = {"id": f"race-{current[0]}", "title": "Race", "abstract": TEXTS[writes % 2], "year": 2000}
            answer = http.post("/papers", json={"papers": [record]})
            if answer.status_code != 200:
                errors.append(f"text writer: {answer.status_code} {answer.text[:200]}")
            writes += 1
            if writes % WRITES_PER_ID == 0:
                current[0] += 1


def watcher(index_dir, expected: dict[str, np.ndarray], stop: threading.Event, mixed: set[str]) -> None:
    """Read every racing row as commits land; note each row whose vector is not its own text's."""
    conn = sqlite3.connect(f"file:{index_dir / 'papers.sqlite'}?mode=ro", uri=True, timeout=10)
    try:
        while not stop.is_set():
            for pid, abstract, embedding in conn.execute(
                    "SELECT id, abstract, embedding FROM papers WHERE id LIKE 'race-%'"):
                if float(np.dot(np.frombuffer(embedding, np.float32), expected[abstract])) < 0.99:
                    mixed.add(pid)
            time.sleep(0.002)
    finally:
        conn.close()


def test_concurrent_updates_of_one_id_never_mix_two_texts(index_copy):
    engine = Engine(Settings(index=index_copy))
    try:
        expected = dict(zip(TEXTS, engine.embed([f"Race. {text}" for text in TEXTS])))
    finally:
        engine.close()
    proc, base = start_server(index_copy, {"ABSTRACTS_API_TOKEN": TOKEN}, args=("--workers", "2"))
    stop, current, errors, seen_mixed = threading.Event(), [0], [], set()
    threads = [threading.Thread(target=fn, args=(base, stop, current, errors), daemon=True)
               for fn in (metadata_writer, metadata_writer, metadata_writer, text_writer)]
    threads.append(threading.Thread(target=watcher, args=(index_copy, expected, stop, seen_mixed), daemon=True))
    try:
        for thread in threads:
            thread.start()
        time.sleep(RACE_S)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        stop_server(proc)
    assert not errors, errors[:5]
    assert current[0] >= 10, f"only {current[0]} ids raced: the race tested too little"
    engine = Engine(Settings(index=index_copy))
    try:
        rows = [(p, engine.store.embedding_of(p.id)) for p in engine.store.iter_papers() if p.id.startswith("race-")]
        fresh = engine.embed([p.text() for p, _ in rows])
        mixed = [p.id for (p, stored), vector in zip(rows, fresh) if float(np.dot(stored, vector)) < 0.99]
        states = engine.store.states([p.id for p, _ in rows])
        stale_hash = [p.id for p, _ in rows if states[p.id].text_hash != p.text_hash()]
    finally:
        engine.close()
    print(f"{current[0] + 1} ids raced for {RACE_S} s; {len(seen_mixed)} ids seen mixed while racing; "
          f"{len(mixed)} of {len(rows)} final rows mixed")
    assert len(rows) >= 10
    assert not seen_mixed, f"{len(seen_mixed)} ids were committed with another text's embedding: {sorted(seen_mixed)[:5]}"
    assert not mixed, f"{len(mixed)} of {len(rows)} rows hold another text's embedding: {mixed[:5]}"
    assert not stale_hash, f"{len(stale_hash)} rows hold another text's hash: {stale_hash[:5]}"
