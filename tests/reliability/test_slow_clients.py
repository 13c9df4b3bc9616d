"""Slow clients cannot take the server down: a bounded slow-loris on loopback, while a normal search answers."""

from __future__ import annotations

from tests.api.conftest import start_server, stop_server
from tests.reliability.slow_clients import run_attack, summary

SLOW = 300  # over the per-client cap of 100 set below
LIMITS = {"ABSTRACTS_HEADER_TIMEOUT": "3", "ABSTRACTS_REQUEST_TIMEOUT": "5", "ABSTRACTS_MAX_CLIENT_CONNECTIONS": "100"}


def test_a_slow_loris_is_cut_off_and_normal_searches_still_answer(index_copy):
    proc, base = start_server(index_copy, LIMITS)
    try:
        attack = run_attack(base, connections=SLOW, duration_s=12, trickle_s=1.0)
    finally:
        stop_server(proc)
    print(summary(attack))
    assert not attack.search_errors, attack.search_errors[:3]
    assert attack.searches and all(status == 200 for status, _ in attack.searches), attack.searches[:5]
    assert attack.refused_at_once >= SLOW - 100 - 5, summary(attack)  # past the cap, closed on arrival
    assert attack.still_open == 0, summary(attack)  # every slow request was cut off by its deadline
    assert attack.answered_408 > 0, summary(attack)
