"""Slow clients cannot take the server down: a bounded slow-loris on loopback, while a normal search answers."""

from __future__ import annotations

import socket
import time

import pytest

from tests.api.conftest import start_server, stop_server
from tests.reliability.slow_clients import run_attack, summary

SLOW = 300  # over the per-client cap of 100 set below
LIMITS = {"ABSTRACTS_HEADER_TIMEOUT": "3", "ABSTRACTS_REQUEST_TIMEOUT": "5", "ABSTRACTS_MAX_CLIENT_CONNECTIONS": "100"}


@pytest.fixture(scope="module")
def guarded(bundled_index, tmp_path_factory):
    """A server with short deadlines (3 s headers, 5 s whole request) and a cap of 100 connections per client."""
    import shutil

    index_dir = tmp_path_factory.mktemp("slow") / "index"
    shutil.copytree(bundled_index, index_dir)
    proc, base = start_server(index_dir, LIMITS)
    yield base
    stop_server(proc)


def connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    return sock


def read_until_closed(sock: socket.socket, limit_s: float) -> tuple[bytes, bool]:
    """Read what the server sends until it closes the connection or `limit_s` passes; return (data, closed)."""
    sock.settimeout(0.5)
    data, ends = b"", time.monotonic() + limit_s
    while time.monotonic() < ends:
        try:
            piece = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return data, True
        if not piece:
            return data, True
        data += piece
    return data, False


def test_a_slow_loris_is_cut_off_and_normal_searches_still_answer(guarded):
    attack = run_attack(guarded, connections=SLOW, duration_s=12, trickle_s=1.0)
    print(summary(attack))
    assert not attack.search_errors, attack.search_errors[:3]
    assert attack.searches and all(status == 200 for status, _ in attack.searches), attack.searches[:5]
    assert attack.refused_at_once >= SLOW - 100 - 5, summary(attack)  # past the cap, closed on arrival
    assert attack.still_open == 0, summary(attack)  # every slow request was cut off by its deadline
    assert attack.answered_408 > 0, summary(attack)


def test_a_kept_alive_connection_that_trickles_its_next_request_is_cut_off(guarded):
    sock = connect(guarded)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    first = sock.recv(65536)
    assert first.startswith(b"HTTP/1.1 200")
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    cut = False
    for _ in range(40):  # a header line every half second, for up to 20 s
        try:
            sock.sendall(b"X-Slow: 1\r\n")
        except OSError:
            cut = True
            break
        data, closed = read_until_closed(sock, 0.5)
        if closed:
            cut = True
            break
    sock.close()
    assert cut, "a slow request on a kept-alive connection was never cut off"


def test_pipelined_requests_are_all_answered_and_none_gets_a_timeout(guarded):
    sock = connect(guarded)
    request = b"GET /search?q=judges&k=3 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    sock.sendall(request * 3)
    data, _ = read_until_closed(sock, 8)  # longer than the 3 s header deadline
    sock.close()
    assert data.count(b"HTTP/1.1 200 OK") == 3, data[:300]
    assert b"408" not in data
