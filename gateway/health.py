"""`/healthz` (the process answers) and `/readyz` (every backend and MongoDB answer).

/readyz needs no key (load balancers and orchestrators ask it), so it must cost a caller nothing it
could multiply: its checks run at most once per `server.readiness_cache_seconds`, however many ask
(those that ask while a round runs wait for that round), and the answer says only which of them
are down. What a failed check said goes to the log, never to the caller. The backends whose
circuit breaker is open are read as they are now (no call is made for it): they are down too,
and named under `breakers_open`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.errors import DomainError

log = logging.getLogger(__name__)
READY_TIMEOUT_SECONDS = 5.0
Check = Callable[[], Awaitable[None]]


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _down(name: str, check: Check) -> bool:
    """Whether the check failed (logged with what it said)."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            await check()
    except DomainError as exc:
        log.warning("readiness: %s is down: %s", name, exc, extra={"code": exc.code})
        return True
    except TimeoutError:
        log.warning("readiness: %s gave no answer within %g s", name, READY_TIMEOUT_SECONDS)
        return True
    except Exception:  # noqa: BLE001 - a check that breaks reads as down
        log.exception("readiness: the check of %s failed", name)
        return True
    return False


class Readiness:
    """The checks' latest round, kept `cache_seconds`; one round at a time."""

    def __init__(self, checks: dict[str, Check], cache_seconds: float,
                 clock: Callable[[], float] = time.monotonic,
                 open_breakers: Callable[[], tuple[str, ...]] = tuple) -> None:
        self.checks = checks
        self.open_breakers = open_breakers
        self.cache_seconds = cache_seconds
        self.clock = clock
        self.latest: tuple[float, tuple[str, ...]] | None = None
        self.running: asyncio.Task[tuple[str, ...]] | None = None
        self.rounds = 0

    async def down(self) -> tuple[str, ...]:
        """The names of the checks that failed in the latest round (a new round once it is too old)."""
        if self.latest is not None and self.clock() - self.latest[0] < self.cache_seconds:
            return self.latest[1]
        if self.running is None:
            self.running = asyncio.ensure_future(self._round())
            self.running.add_done_callback(self._ended)
        return await asyncio.shield(self.running)  # a caller that goes away does not cancel the round

    async def _round(self) -> tuple[str, ...]:
        self.rounds += 1
        failed = await asyncio.gather(*(_down(name, check) for name, check in self.checks.items()))
        down = tuple(name for name, bad in zip(self.checks, failed, strict=True) if bad)
        self.latest = (self.clock(), down)
        return down

    def _ended(self, _: asyncio.Task[tuple[str, ...]]) -> None:
        self.running = None


async def readyz(readiness: Readiness) -> Response:
    """200 when every check answered in the latest round and no breaker is open, else 503; the names
    of those down, and of the backends whose breaker is open."""
    checked = await readiness.down()
    breakers_open = readiness.open_breakers()  # after the round: a check may have opened one
    down = list(dict.fromkeys((*checked, *breakers_open)))
    return JSONResponse({"status": "unavailable" if down else "ready", "down": down,
                         "breakers_open": list(breakers_open)},
                        status_code=503 if down else 200, headers={"Cache-Control": "no-store"})
