"""Delta-sync cursors are opaque, but a client can make one: a mark inside a second in which many
products changed at once (an import) would have each request page through the whole burst again.
One request reads at most `catalog.changes_max_pages` pages of a backend's change list."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx

from simulators.catalog import Catalog
from tests.clock import MovingClock
from tests.conftest import UNLIMITED, issue_key, running_simulators, served_gateway
from tests.hostile.conftest import assert_responsive

BURST = 1000  # products the web-shop changed in one second: 10 pages of 100
MAX_PAGES = 2
DATABASE = "hostile_delta_sync"
CHANGES = """query($since: String) { catalogChanges(since: $since, first: 100) {
  nodes { sku } pageInfo { hasNextPage endCursor } } }"""


OTHER_FEEDS = ("odoo.products", "odoo.variants", "odoo.prices", "odoo.stock", "medusa")


def made_up_cursor(marks: dict[str, tuple[str, object]]) -> str:
    """A cursor as the API encodes them (resolvers/cursors.py), made by the client."""
    body = json.dumps({"v": 1, "feeds": {feed: list(mark) for feed, mark in marks.items()}}, separators=(",", ":"))
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


def test_a_made_up_cursor_inside_a_burst_reads_a_bounded_number_of_pages(mongo_url):
    # given a web-shop in which every product changed in the same second
    clock = MovingClock()
    catalog = Catalog(BURST, clock=clock)
    burst = clock()
    for product in catalog.products:
        catalog.touch("woocommerce", product.sku)
    clock.advance(5)  # past the settle time
    key = issue_key(mongo_url, "frontend", database=DATABASE, **UNLIMITED)
    with running_simulators(catalog) as simulators, served_gateway(
            simulators, mongo_url, clock, CGW_MONGO__DATABASE=DATABASE, CGW_CATALOG__CHANGES_SETTLE_SECONDS="1",
            CGW_CATALOG__CHANGES_MAX_PAGES=str(MAX_PAGES)) as url:
        shop = simulators["woocommerce"]
        # when clients send a cursor whose web-shop mark lies inside that second, past every key of it
        # (the other feeds' marks at now: they have nothing to read)
        since = made_up_cursor({"woocommerce": (burst.isoformat(), 10**12),
                                **{feed: (clock().isoformat(), 0) for feed in OTHER_FEEDS}})
        shop.reset_stats()

        async def attack() -> list[dict]:
            async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, timeout=30) as client:
                answers = await asyncio.gather(*(client.post("/graphql", json={"query": CHANGES,
                                                                              "variables": {"since": since}})
                                                 for _ in range(4)))
            return [a.json() for a in answers]

        answers = asyncio.run(assert_responsive(url, key, attack()))
        # then each request read at most the bound of the web-shop's change list, and the process kept answering
        assert shop.stats().get("GET /wp-json/wc/v3/products", 0) <= 4 * MAX_PAGES
        for answer in answers:
            assert "errors" not in answer, answer.get("errors")
        # and the cursor it got back has passed that second: the next page does not read it again
        shop.reset_stats()
        after = answers[0]["data"]["catalogChanges"]["pageInfo"]["endCursor"]
        again = httpx.post(f"{url}/graphql", json={"query": CHANGES, "variables": {"since": after}},
                           headers={"X-API-Key": key}, timeout=30).json()
        assert again["data"]["catalogChanges"]["nodes"] == [], again
        assert shop.stats().get("GET /wp-json/wc/v3/products", 0) <= 1
