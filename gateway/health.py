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


async def readyz(checks: dict[str, Check]) -> Response:
    """`checks` run at once: 200 when every one answers, else 503; a report per check either way."""
    results = await asyncio.gather(*(_run(c) for c in checks.values()))
    report = dict(zip(checks, results, strict=True))
    ready = all(r["ok"] for r in report.values())
    return JSONResponse({"status": "ready" if ready else "unavailable", "checks": report},
                        status_code=200 if ready else 503)
