"""The SDK's one retry policy, for requests and for resumable transfers alike (decision 0023).

A failed attempt is retried at most ``retries`` times, after a delay that doubles each time
from ``backoff`` seconds (capped at ``max_delay``), each delay drawn between half and one
and a half times its nominal value, so that many clients failing together do not come back
together.  What may be retried is decided where the attempt is made:

- a request (``Connection.request``): an idempotent one after a dropped connection or a
  ``502``/``503``/``504`` answer (``RETRY_STATUSES``), any one that never reached the server
  (``never_sent``);
- a download (``_transfer.download``): a dropped connection, resumed from the bytes already
  received.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

__all__ = ["RETRY_STATUSES", "RetryPolicy", "never_sent"]

#: Answers a gateway gives for a server that is restarting or overloaded: worth retrying.
RETRY_STATUSES = frozenset({502, 503, 504})


def never_sent(exc: httpx.TransportError) -> bool:
    """Whether the request failed before it reached the server (so that retrying it cannot
    do anything twice, whatever its method)."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to wait between attempts: see the module docstring."""

    #: Attempts after the first.
    retries: int = 4
    #: The first delay, in seconds (nominal: see ``delay``).
    backoff: float = 0.25
    #: No delay is longer (nominal) than this.
    max_delay: float = 8.0
    #: How to wait (a test may record the delays instead).
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def allows(self, retry: int) -> bool:
        """Whether retry number ``retry`` (1 for the first retry) may be made."""
        return retry <= self.retries

    def delay(self, retry: int) -> float:
        """The wait before retry number ``retry``: ``backoff * 2 ** (retry - 1)`` (at most
        ``max_delay``), times a random factor from 0.5 to 1.5."""
        nominal = min(self.backoff * 2.0 ** (retry - 1), self.max_delay)
        return nominal * (0.5 + random.random())

    def wait(self, retry: int) -> None:
        """Wait before retry number ``retry``."""
        self.sleep(self.delay(retry))
