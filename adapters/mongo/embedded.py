"""The embedded default: a MongoDB-wire-compatible server (mongoeco) over a SQLite file.

The gateway talks to it with the same AsyncMongoClient it uses in production.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from mongoeco.engines.memory import MemoryEngine
from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire import AsyncMongoEcoProxyServer

log = logging.getLogger(__name__)
IN_MEMORY = ":memory:"


def new_server(path: str, host: str = "127.0.0.1", port: int = 0) -> AsyncMongoEcoProxyServer:
    """A server over `path` (a SQLite file, created with its folder) or `:memory:`."""
    engine: MemoryEngine | SQLiteEngine
    if path == IN_MEMORY:
        engine = MemoryEngine()
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = SQLiteEngine(path)
    return AsyncMongoEcoProxyServer(engine=engine, host=host, port=port)


async def serve_forever(path: str, host: str, port: int, ready_file: Path | None = None) -> None:
    """Runs until cancelled; writes the connection URL to `ready_file` once it accepts connections."""
    server = new_server(path, host, port)
    address = await server.start()
    log.info("embedded store listening", extra={"url": address.uri, "path": path})
    if ready_file is not None:
        ready_file.write_text(address.uri)
    try:
        await asyncio.Event().wait()
    finally:
        await server.close()
