"""GraphiQL served by the gateway itself: the page at GET /graphql and its scripts and styles under
/graphiql/assets/, from gateway/static/graphiql/ (the npm packages' pinned builds in vendor/, written
by scripts/update-graphiql-assets, and the page's own start.js and page.css). Nothing is loaded
from another origin, and the Content-Security-Policy lets the page load and ask nothing else: an API
key pasted into its headers pane goes to this gateway only, and the page works without internet."""

from __future__ import annotations

import asyncio
import functools
import gzip
import hashlib
import pathlib
import re
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

ROOT = pathlib.Path(__file__).parent / "static" / "graphiql"
ASSET_PATH = "/graphiql/assets"
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",  # no inline script, no eval
    "style-src 'self'",
    "img-src 'self' data:",  # GraphiQL's icons
    "font-src 'self' data:",  # GraphiQL's fonts are inlined in its stylesheet
    "connect-src 'self'",  # the page asks this gateway only
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
IMMUTABLE = "public, max-age=31536000, immutable"  # an asset's address names its content's digest
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_PLACEHOLDER = re.compile(r"\{\{([A-Za-z0-9@./_-]+)\}\}")


@dataclass
class Asset:
    body: bytes
    media_type: str
    gzipped: bytes | None = field(default=None, repr=False)  # made at the first request that accepts gzip


class GraphiQLFiles:
    """The page, with each asset's address carrying its digest, and the assets it names (only those are
    served)."""

    def __init__(self, root: pathlib.Path = ROOT) -> None:
        self.assets: dict[str, Asset] = {}

        def address(match: re.Match[str]) -> str:
            name = match.group(1)
            path = root / name if (root / name).is_file() else root / "vendor" / name
            body = path.read_bytes()
            self.assets[name] = Asset(body, MEDIA_TYPES[path.suffix])
            return f"{ASSET_PATH}/{name}?v={hashlib.sha256(body).hexdigest()[:16]}"

        self.page = _PLACEHOLDER.sub(address, (root / "page.html").read_text(encoding="utf-8"))

    def page_response(self) -> Response:
        return HTMLResponse(self.page, headers={**SECURITY_HEADERS, "Cache-Control": "no-cache", "Vary": "Accept"})

    async def asset(self, request: Request) -> Response:
        asset = self.assets.get(request.path_params["name"])
        if asset is None:
            return PlainTextResponse("Not Found", status_code=404, headers=SECURITY_HEADERS)
        headers = {**SECURITY_HEADERS, "Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
        body = asset.body
        if "gzip" in request.headers.get("accept-encoding", "") and len(body) > 1024:
            if asset.gzipped is None:
                asset.gzipped = await asyncio.to_thread(gzip.compress, body, 6)
            body, headers["Content-Encoding"] = asset.gzipped, "gzip"
        return Response(body, media_type=asset.media_type, headers=headers)


@functools.cache
def graphiql_files() -> GraphiQLFiles:
    """The process's copy, read at the first use."""
    return GraphiQLFiles()


async def graphiql_asset(request: Request) -> Response:
    return await graphiql_files().asset(request)
