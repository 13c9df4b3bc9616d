"""uvicorn's httptools protocol with limits that keep slow or greedy clients from taking the server down.

uvicorn bounds idle keep-alive connections, but not a client that sends its request slowly: 1,500 half-sent
requests stayed open for a minute and 1,100 slow-loris connections made other requests fail. Here each request
must arrive in time (its headers within ABSTRACTS_HEADER_TIMEOUT seconds, the whole of it within
ABSTRACTS_REQUEST_TIMEOUT), or the connection is answered 408 and closed; and one client address may hold at
most ABSTRACTS_MAX_CLIENT_CONNECTIONS open connections, a further one is closed at once. uvicorn's
limit_concurrency (ABSTRACTS_MAX_CONNECTIONS) answers 503 past the whole server's share.
"""

from __future__ import annotations

import asyncio
import resource
from collections import Counter
from functools import lru_cache

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.settings import Settings

TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                    b"connection: close\r\ncontent-length: 33\r\n\r\nthe request did not arrive in time")


@lru_cache(maxsize=1)
def limits() -> Settings:
    """Return the settings of this server process (read once: every worker has its ABSTRACTS_* environment)."""
    return Settings()


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """One HTTP connection, with a deadline for each request and a cap on connections per client address."""

    per_client: Counter[str] = Counter()  # open connections by client address, in this process

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Count the connection, close it if its client holds too many, else start the first deadline."""
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._address = self.client[0] if self.client else ""
        self.per_client[self._address] += 1
        if self.per_client[self._address] > limits().max_client_connections:
            transport.close()
            return
        self._start_request()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection and its deadline."""
        self._disarm()
        self.per_client[self._address] -= 1
        if self.per_client[self._address] <= 0:
            del self.per_client[self._address]
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        """The headers came in time: the body gets what is left of the whole request's deadline."""
        self._arm(max(0.0, limits().request_timeout - (self.loop.time() - self._started)))
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The whole request came in time."""
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        """A kept-alive connection's next request must also arrive in time, once it starts."""
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._start_request(self.timeout_keep_alive)

    def _start_request(self, idle_s: float = 0.0) -> None:
        """Start the clock of the next request: its headers are due within the header timeout (after `idle_s`)."""
        self._started = self.loop.time() + idle_s
        self._arm(limits().header_timeout + idle_s)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._timed_out)

    def _disarm(self) -> None:
        if getattr(self, "_deadline", None) is not None:
            self._deadline.cancel()
            self._deadline = None

    def _timed_out(self) -> None:
        """Answer 408 and close a connection whose request did not arrive in time (an answer under way is left)."""
        self._deadline = None
        if self.transport.is_closing() or (self.cycle is not None and self.cycle.response_started):
            return
        self.transport.write(TIMEOUT_RESPONSE)
        self.transport.close()


def raise_open_file_limit(wanted: int) -> int:
    """Raise this process's open-file limit towards `wanted` (each connection is one); return the limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft
