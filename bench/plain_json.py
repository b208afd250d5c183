"""The ceiling: a plain Starlette endpoint that returns a fixed JSON body, served like the gateway."""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def main() -> None:
    port, body_path = int(sys.argv[1]), sys.argv[2]
    body = open(body_path, "rb").read()

    async def graphql(request: Request) -> Response:
        await request.body()
        return Response(body, media_type="application/json")

    app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
