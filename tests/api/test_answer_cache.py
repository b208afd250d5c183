"""The shared answer cache over the live gateway: what is kept and under which key, `no-cache`,
coalescing of identical queries in flight, stale-if-error with the ERP down. Backend calls are
counted from the simulators' /__stats: an answer from the cache makes none."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from domain.api_keys import Scope
from domain.channels import Channel
from tests.conftest import UNLIMITED, GraphQLClient, issue_key, scrape, served_gateway
from tests.servers import Simulator

DATABASE = "answer_cache_tests"
CACHE_ON = {"CGW_CACHE__ANSWER_CACHE_BYTES": str(8 * 1024 * 1024), "CGW_MONGO__DATABASE": DATABASE,
            "CGW_CACHE__INVALIDATION_POLL_SECONDS": "0"}
PRICES = """query($first: Int!) { products(first: $first) { edges { node {
  sku title priceRange { minVariantPrice { amount } } variants { sku price { amount } } } } } }"""
SEARCHES = "rpc product.template.search_read"  # the ERP's product search: once per run of a listing
WOO = ("ck_demo", "cs_demo")


@pytest.fixture(autouse=True)
def healed(backends) -> Iterator[None]:
    """Every test here ends with its simulators healthy and quick again."""
    yield
    for sim in backends[1].values():
        sim.heal()


@dataclass
class Gateway:
    url: str
    mongo_url: str
    simulators: dict[str, Simulator]
    clients: list[GraphQLClient] = field(default_factory=list)

    def client(self, kind: str = "frontend", **spec: object) -> GraphQLClient:
        self.clients.append(GraphQLClient(self.url, issue_key(self.mongo_url, kind, database=DATABASE,
                                                              **{**UNLIMITED, **spec})))
        return self.clients[-1]

    def searches(self) -> int:
        """ERP product searches since the last call (every simulator's counters start again)."""
        count = self.simulators["odoo"].stats().get(SEARCHES, 0)
        for sim in self.simulators.values():
            sim.reset_stats()
        return count


@pytest.fixture(scope="module")
def cached(backends, mongo_url) -> Iterator[Gateway]:
    _, simulators = backends
    with served_gateway(simulators, mongo_url, **CACHE_ON) as url:
        gateway = Gateway(url, mongo_url, simulators)
        yield gateway
        for client in gateway.clients:
            client.http.close()


def listing(client: GraphQLClient, first: int, query: str = PRICES, **headers: str) -> dict:
    answer = client(query, {"first": first}, headers=headers)
    assert "errors" not in answer, answer
    return answer["data"]


def test_a_shared_answer_is_served_again_without_the_backends(cached):
    web = cached.client()
    cached.searches()
    first = listing(web, 3)
    assert cached.searches() == 1
    # when another client with the same scopes asks the same
    again = listing(cached.client(), 3)
    # then the answer is the same, and no backend was asked
    assert again == first and cached.searches() == 0
    for sim in cached.simulators.values():
        assert sim.stats() == {}


def test_each_channel_has_its_own_answers(cached):
    client = cached.client()
    cached.searches()
    web, store = listing(client, 4), listing(client, 4, **{"X-Channel": "STORE"})
    assert cached.searches() == 2
    assert listing(client, 4) == web and listing(client, 4, **{"X-Channel": "STORE"}) == store
    assert cached.searches() == 0


def test_each_scope_set_has_its_own_answers(cached):
    listing(cached.client(), 5)
    catalog_only = cached.client(scopes=(Scope.CATALOG_READ,))
    cached.searches()
    # the same data, but a key with other scopes could be refused fields the first was not
    listing(catalog_only, 5)
    assert cached.searches() == 1
    listing(catalog_only, 5)
    assert cached.searches() == 0


def test_a_bound_key_never_gets_what_an_unbound_key_chose_in_the_document(cached):
    in_web = "query($first: Int!) @inContext(channel: WEB) " + PRICES.removeprefix("query($first: Int!) ")
    listing(cached.client(), 6, query=in_web, **{"X-Channel": "STORE"})
    # a key bound to STORE sends the same document: it is refused WEB, not served WEB's prices
    pos = cached.client(channel=Channel.STORE)
    answer = pos(in_web, {"first": 6})
    assert answer["data"] is None and answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("query", [
    pytest.param("""query($first: Int!) @inContext(maxStockAge: 0) { products(first: $first) { edges { node {
                    sku variants { quantityAvailable } } } } }""", id="stock read live"),
    pytest.param("query($first: Int!) { products(first: $first) { edges { node { sku } } } me { id } }",
                 id="something private"),
])
def test_an_answer_that_may_not_be_shared_is_never_kept(cached, query):
    client = cached.client()
    cached.searches()
    listing(client, 3, query=query)
    listing(client, 3, query=query)
    assert cached.searches() == 2


def test_an_answer_with_errors_is_never_kept(cached):
    client = cached.client()
    cached.simulators["woocommerce"].faults(down=True)
    partial = client(PRICES, {"first": 7})
    cached.simulators["woocommerce"].heal()
    assert partial["errors"][0]["extensions"]["backend"] == "woocommerce"
    cached.searches()
    # once the web-shop is back, the next request runs again and gets the whole answer
    healed = listing(client, 7)
    assert cached.searches() == 1 and all(e["node"]["title"] for e in healed["products"]["edges"])


def test_no_cache_answers_fresh_and_refreshes_the_entry(backends, cached):
    catalog, simulators = backends
    product = catalog.products[0]
    one = '{ product(sku: "%s") { sku title } }' % product.sku
    client = cached.client()
    assert client(one)["data"]["product"]["title"] == product.title
    httpx.put(f"{simulators['woocommerce'].url}/wp-json/wc/v3/products/{product.erp_id}", auth=WOO,
              json={"name": "Renamed for no-cache"}).raise_for_status()
    # the kept answer still says the old title (no feed is read in this gateway)
    assert client(one)["data"]["product"]["title"] == product.title
    # a request with no-cache gets the new one, and so does everyone after it
    assert client(one, headers={"Cache-Control": "no-cache"})["data"]["product"]["title"] == "Renamed for no-cache"
    assert client(one)["data"]["product"]["title"] == "Renamed for no-cache"


def test_a_hit_is_charged_as_the_run_was_and_says_its_age(cached):
    first = cached.client().post(PRICES, {"first": 8}).json()["extensions"]["cost"]
    requested, actual = first["requested"], first["actual"]
    # a key whose minute holds that run once, plus what one more answer actually costs
    tight = cached.client(cost_per_minute=requested + actual)
    hit = tight.post(PRICES, {"first": 8})
    cost = hit.json()["extensions"]["cost"]
    assert (cost["requested"], cost["actual"]) == (requested, actual) and int(hit.headers["age"]) >= 0
    # each hit takes `requested`, then gives back what the answer did not cost: the second still fits, the third not
    assert tight.post(PRICES, {"first": 8}).status_code == 200
    refused = tight.post(PRICES, {"first": 8})
    assert refused.status_code == 429 and refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert "age" not in refused.headers


def test_answers_from_the_cache_are_counted_and_labelled_by_their_operation(cached):
    client = cached.client()
    named = "query CachedListing" + PRICES.removeprefix("query")
    before = scrape(cached.url)
    listing(client, 11, query=named)
    listing(client, 11, query=named)
    after = scrape(cached.url)
    assert after["gateway_answer_cache_hits_total"][()] - before["gateway_answer_cache_hits_total"][()] == 1
    assert after["gateway_answer_cache_misses_total"][()] - before["gateway_answer_cache_misses_total"][()] == 1
    # the hit ran no operation, and still counts under the operation's name
    assert after["gateway_requests_total"][(("operation", "CachedListing"), ("status", "200"))] == 2


def test_fifty_identical_listings_at_once_run_once(cached):
    client = cached.client()
    cached.client().post("{ stores(first: 1) { name } }")  # the warehouse directory, read once per process
    for sim in cached.simulators.values():
        sim.faults(latency_ms=300)  # so that every request arrives while the first is running
        sim.reset_stats()
    body = {"query": PRICES, "variables": {"first": 9}}
    headers = dict(client.http.headers)

    async def fifty() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=cached.url, headers=headers, timeout=30) as http:
            return await asyncio.gather(*(http.post("/graphql", json=body) for _ in range(50)))

    answers = asyncio.run(fifty())
    assert all(a.status_code == 200 and "errors" not in a.json() for a in answers)
    assert len({a.content.split(b',"extensions"')[0] for a in answers}) == 1
    # one run: one ERP search, one web-shop read, one set of variant reads
    calls = {name: sim.stats() for name, sim in cached.simulators.items()}
    assert calls["odoo"][SEARCHES] == 1 and calls["odoo"]["rpc product.product.search_read"] == 1
    assert calls["woocommerce"] == {"GET /wp-json/wc/v3/products": 1}


def test_an_expired_answer_stands_in_while_the_erp_is_down(backends, mongo_url):
    _, simulators = backends
    with served_gateway(simulators, mongo_url, **CACHE_ON, CGW_CACHE__PRICE_SECONDS="1") as url:
        gateway = Gateway(url, mongo_url, simulators)
        client = gateway.client()
        kept = listing(client, 10)
        time.sleep(1.2)  # past the price lifetime
        simulators["odoo"].faults(down=True)
        try:
            response = client.post(PRICES, {"first": 10})
            by_get = client.http.get("/graphql", params={"query": PRICES, "variables": '{"first": 10}'})
        finally:
            simulators["odoo"].heal()
        # then the last answer comes back, saying how old it is and which backend failed
        answer = response.json()
        assert response.status_code == 200 and answer["data"] == kept and "errors" not in answer
        stale = answer["extensions"]["stale"]
        assert stale["ageSeconds"] >= 1
        assert {(e["extensions"]["code"], e["extensions"]["backend"]) for e in stale["errors"]} == {
            ("BACKEND_UNAVAILABLE", "odoo")}
        # and no HTTP cache keeps it
        assert by_get.json()["data"] == kept and by_get.headers["cache-control"] == "no-store"
        # once the ERP is back, the answer is fresh again
        assert "stale" not in client.post(PRICES, {"first": 10}).json()["extensions"]
        for made in gateway.clients:
            made.http.close()
