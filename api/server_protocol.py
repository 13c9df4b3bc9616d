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

from abstract_search.api.settings import Settings

TIMEOUT_BODY = b"the request did not arrive in time"
TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
                    b"content-length: " + str(len(TIMEOUT_BODY)).encode() + b"\r\n\r\n" + TIMEOUT_BODY)


@lru_cache(maxsize=1)
def limits() -> Settings:
    """Return this server process's settings, read once (every worker has its ABSTRACTS_* environment).

    The token file is not read again here: it may have been removed since the server started.
    """
    return Settings(api_token_file=None)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """One HTTP connection, with a deadline for each request and a cap on connections per client address."""

    per_client: Counter[str] = Counter()  # open connections by client address, in this process

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Count the connection, close it if its client holds too many, else expect the first request."""
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._receiving = False  # a request is arriving: started, not yet wholly received
        self._headers_done = False
        self._started = self.loop.time()
        self._address = self.client[0] if self.client else ""
        self.per_client[self._address] += 1
        if self.per_client[self._address] > limits().max_client_connections:
            transport.close()
            return
        self._expect_request()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection and its deadline."""
        self._disarm()
        self.per_client[self._address] -= 1
        if self.per_client[self._address] <= 0:
            del self.per_client[self._address]
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        """A request starts; a pipelined one, arriving while none was expected, starts its own clock."""
        if not self._receiving:
            self._expect_request()
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        """The headers came in time: the body gets what is left of the whole request's deadline."""
        self._headers_done = True
        self._arm(max(0.0, limits().request_timeout - (self.loop.time() - self._started)))
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The whole request came in time."""
        self._receiving = False
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        """After an answer, the next request on a kept-alive connection must also arrive in time."""
        pipelined = bool(self.pipeline)  # a queued request has arrived already: it needs no deadline
        super().on_response_complete()
        if not pipelined and not self._receiving and not self.transport.is_closing():
            self._expect_request(self.timeout_keep_alive)

    def _expect_request(self, idle_s: float = 0.0) -> None:
        """Start the clock of the next request: its headers are due within the header timeout (after `idle_s`)."""
        self._receiving, self._headers_done = True, False
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
        """Close a connection whose request did not arrive in time, answering 408 unless it was answered already."""
        self._deadline = None
        if self.transport.is_closing() or not self._receiving:
            return
        answered = self._headers_done and self.cycle is not None and self.cycle.response_started
        if not answered:  # an early answer (401, 413) to a request whose body never came needs no 408
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
