"""`/healthz` (the process answers) and `/readyz` (every backend and MongoDB answer)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.errors import DomainError

READY_TIMEOUT_SECONDS = 5.0
Check = Callable[[], Awaitable[None]]


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _run(check: Check) -> dict:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            await check()
    except DomainError as exc:
        return {"ok": False, "error": str(exc), "code": exc.code}
    except TimeoutError:
        return {"ok": False, "error": f"no answer within {READY_TIMEOUT_SECONDS:g} s", "code": "BACKEND_TIMEOUT"}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def readyz_endpoint(checks: Callable[[], dict[str, Check]]) -> Callable[[Request], Awaitable[Response]]:
    async def readyz(_: Request) -> Response:
        named = checks()
        results = await asyncio.gather(*(_run(c) for c in named.values()))
        report = dict(zip(named, results, strict=True))
        ready = all(r["ok"] for r in report.values())
        return JSONResponse({"status": "ready" if ready else "unavailable", "checks": report},
                            status_code=200 if ready else 503)

    return readyz
