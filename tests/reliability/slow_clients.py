"""A bounded slow-loris on loopback: many connections that send a request a header line at a time.

The attacker connects from 127.0.0.2 (another loopback address, so another client to the server) and keeps
`connections` sockets open, each sending one header line every `trickle_s` seconds and never finishing its
request; a few send complete headers and then a body a byte at a time. Meanwhile a normal client searches
from 127.0.0.1. The attack stops by itself after `duration_s`. Shared by tests/reliability/test_slow_clients.py
and bench/slow_clients.py.
"""

from __future__ import annotations

import resource
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field

import httpx

ATTACKER = "127.0.0.2"


@dataclass
class Attack:
    """What the slow clients and the normal client saw."""

    opened: int = 0
    refused_at_once: int = 0  # closed by the server within 0.5 s of connecting
    closed_by_server: int = 0  # closed by the server while still sending
    answered_408: int = 0
    lifetimes_s: list[float] = field(default_factory=list)  # how long each was kept before the server closed it
    still_open: int = 0  # open when the attack ended
    searches: list[tuple[int, float]] = field(default_factory=list)  # (status, seconds) of the normal client
    search_errors: list[str] = field(default_factory=list)

    def search_ms(self, quantile: float) -> float:
        """Return a quantile of the normal client's search latency in ms."""
        times = sorted(seconds for status, seconds in self.searches if status == 200)
        return 1000 * times[min(len(times) - 1, int(quantile * len(times)))] if times else float("nan")


def _slow_connection(host: str, port: int, trickle_s: float, stop: threading.Event, attack: Attack,
                     lock: threading.Lock, slow_body: bool) -> None:
    """Open one connection and send its request a piece every `trickle_s` s until the server closes it."""
    sock = socket.socket()
    try:
        sock.bind((ATTACKER, 0))
        sock.connect((host, port))
    except OSError:
        with lock:
            attack.refused_at_once += 1
        sock.close()
        return
    opened = time.monotonic()
    with lock:
        attack.opened += 1
    piece = (b"POST /papers HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
             if slow_body else b"GET /search?q=slow HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    sock.settimeout(min(trickle_s, 0.25))
    next_piece = opened
    answer = b""
    try:
        while not stop.is_set():
            if time.monotonic() >= next_piece:
                sock.sendall(piece)
                piece, next_piece = (b"{" if slow_body else b"X-Slow: 1\r\n"), time.monotonic() + trickle_s
            try:
                data = sock.recv(4096)
            except socket.timeout:
                continue
            answer += data
            if not data:
                break
        else:
            with lock:
                attack.still_open += 1
            return
    except OSError:
        pass  # reset by the server
    finally:
        sock.close()
    lifetime = time.monotonic() - opened
    with lock:
        attack.lifetimes_s.append(lifetime)
        attack.answered_408 += b" 408 " in answer
        if lifetime < 0.5:
            attack.refused_at_once += 1
        else:
            attack.closed_by_server += 1


def run_attack(base: str, connections: int, duration_s: float, trickle_s: float = 1.0, slow_bodies: int = 5,
               search_every_s: float = 0.3) -> Attack:
    """Hold `connections` slow connections to the server at `base` for `duration_s` while a normal client searches."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < connections + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, connections + 256) if hard > 0 else connections + 256, hard))
    host, port = base.removeprefix("http://").split(":")
    attack, lock, stop = Attack(), threading.Lock(), threading.Event()
    threads = [threading.Thread(target=_slow_connection, daemon=True,
                                args=(host, int(port), trickle_s, stop, attack, lock, n < slow_bodies))
               for n in range(connections)]
    for thread in threads:
        thread.start()
    ends = time.monotonic() + duration_s
    with httpx.Client(base_url=base, timeout=30) as http:
        while time.monotonic() < ends:
            started = time.monotonic()
            try:
                answer = http.get("/search", params={"q": "LLM judges", "k": 5})
                attack.searches.append((answer.status_code, time.monotonic() - started))
            except httpx.HTTPError as exc:
                attack.search_errors.append(f"{type(exc).__name__}: {exc}")
            time.sleep(search_every_s)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    return attack


def summary(attack: Attack) -> str:
    """Return the attack's figures in one line."""
    lifetimes = attack.lifetimes_s
    ok = sum(1 for status, _ in attack.searches if status == 200)
    return (f"{attack.opened} slow connections opened ({attack.refused_at_once} closed at once past the per-client cap), "
            f"{attack.closed_by_server} cut by the deadline (408 sent to {attack.answered_408}), "
            f"kept {statistics.median(lifetimes) if lifetimes else float('nan'):.1f} s median / "
            f"{max(lifetimes, default=float('nan')):.1f} s max, {attack.still_open} still open at the end; "
            f"normal searches {ok}/{len(attack.searches)} answered 200, "
            f"p50 {attack.search_ms(0.5):.0f} ms, max {attack.search_ms(1.0):.0f} ms, {len(attack.search_errors)} errors")
