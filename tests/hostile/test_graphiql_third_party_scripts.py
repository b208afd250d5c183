"""The attack: GraphiQL's page runs on the gateway's origin, and people paste API keys into its headers
pane. Were its scripts loaded from a public CDN, whoever controls the CDN (or the network path to it) would
run code there and read every key; and without internet access the page stays blank. The page must load
only the gateway's own pinned copies, under a Content-Security-Policy that allows nothing else."""

from __future__ import annotations

import hashlib
import re

import httpx

from gateway.graphiql import ROOT
from tests.conftest import served_gateway

HTML = {"Accept": "text/html"}
REFERENCE = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


def directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (d.split() for d in policy.split(";") if d.strip())}


def assert_locked_down(response: httpx.Response) -> None:
    policy = directives(response.headers["content-security-policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # neither inline scripts nor eval
    assert policy["connect-src"] == ["'self'"]  # a key goes to this gateway only
    assert policy["frame-ancestors"] == ["'none'"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_the_graphiql_page_loads_nothing_from_another_origin(gateway):
    page = httpx.get(f"{gateway}/graphql", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert_locked_down(page)
    assert "no-cache" in page.headers["cache-control"] and page.headers["vary"] == "Accept"
    assert not re.search(r"https?:|//[a-z0-9]", page.text.replace("<!doctype html>", ""), re.IGNORECASE), \
        "the page names another origin"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), "an inline script"
    assert " style=" not in page.text and "<style" not in page.text
    assets = [ref for ref in REFERENCE.findall(page.text) if ref != "data:,"]
    assert len(assets) == 8 and all(ref.startswith("/graphiql/assets/") for ref in assets), assets
    for ref in assets:
        asset = httpx.get(f"{gateway}{ref}", headers={"Accept-Encoding": "gzip"})
        assert asset.status_code == 200, ref
        assert_locked_down(asset)
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        kind = "text/css" if ref.split("?")[0].endswith(".css") else "text/javascript"
        assert asset.headers["content-type"].startswith(kind), ref
        digest = hashlib.sha256(asset.content).hexdigest()
        assert ref.endswith(f"?v={digest[:16]}"), f"{ref}: the address does not name the content's digest"


def test_the_served_copies_are_the_pinned_npm_builds(gateway):
    sums = (ROOT / "vendor" / "SHA256SUMS").read_text().splitlines()
    page = httpx.get(f"{gateway}/graphql", headers=HTML).text
    served = 0
    for line in sums:
        digest, name = line.split("  ")
        path = ROOT / "vendor" / name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{name} is not the pinned file"
        if name.endswith((".js", ".css")):
            ref = next(r for r in REFERENCE.findall(page) if r.startswith(f"/graphiql/assets/{name}?"))
            assert httpx.get(f"{gateway}{ref}").content == path.read_bytes()
            served += 1
        else:
            assert name.endswith("/LICENSE"), name
    assert served == 6


def test_only_the_pages_assets_are_served(gateway):
    for path in ("/graphiql/assets/vendor/SHA256SUMS", "/graphiql/assets/page.html",
                 "/graphiql/assets/../graphiql.py", "/graphiql/assets/%2e%2e/graphiql.py",
                 "/graphiql/assets/vendor/graphiql/graphiql.min.js"):
        answer = httpx.get(f"{gateway}{path}")
        assert answer.status_code == 404, path


def test_no_graphiql_no_assets(simulators, mongo_url):
    with served_gateway(simulators, mongo_url, CGW_SERVER__GRAPHIQL="false") as url:
        assert httpx.get(f"{url}/graphiql/assets/start.js").status_code == 404
        assert "graphiql" not in httpx.get(f"{url}/graphql", headers=HTML).text.lower()
