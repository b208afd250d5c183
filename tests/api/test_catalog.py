"""The catalog through the whole app: a live gateway over the four simulators."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from simulators.catalog import Catalog, stock_at, LOCATIONS, marketplace_pool

PRODUCT = """
query($sku: String!) {
  product(sku: $sku) {
    id sku gtin title description brand categories
    images { url altText } attributes { key value }
    priceRange { minVariantPrice { amount currencyCode } maxVariantPrice { amount currencyCode } }
    availableForSale totalInventory updatedAt
    sources { field backend }
    variants { id sku gtin title selectedOptions { name value }
               price { amount currencyCode } compareAtPrice { amount }
               quantityAvailable stock { quantity asOf source } availableForSale updatedAt }
  }
}
"""

LISTING = """
query($first: Int!, $after: String, $query: String, $filter: ProductFilter, $sortKey: ProductSortKey,
      $reverse: Boolean) {
  products(first: $first, after: $after, query: $query, filter: $filter, sortKey: $sortKey, reverse: $reverse) {
    edges { cursor node { sku title brand categories priceRange { minVariantPrice { amount } } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}
"""


def dc_available(catalog: Catalog, variant_erp_id: int) -> int:
    return sum(max(0, on - res) for loc in LOCATIONS if not loc.is_store
               for on, res in [stock_at(variant_erp_id, loc)])


def test_a_product_merges_content_prices_and_stock_from_their_owners(gql, catalog):
    # given a product the web-shop knows, whose ERP title is written differently
    seed = next(p for p in catalog.products if p.in_webshop and p.erp_title != p.title and len(p.variants) > 1)
    # when
    product = gql(PRODUCT, {"sku": seed.sku})["data"]["product"]
    # then content comes from the web-shop, SKUs and prices from the ERP, stock from the ERP's warehouses
    assert product["title"] == seed.title
    assert product["brand"] == seed.brand
    assert product["categories"] == [seed.category]
    assert len(product["images"]) == 2
    sources = {s["field"]: s["backend"] for s in product["sources"]}
    assert sources == {"sku": "odoo", "variants": "odoo", "title": "woocommerce", "description": "woocommerce",
                       "brand": "woocommerce", "categories": "woocommerce", "images": "woocommerce",
                       "attributes": "woocommerce", "price": "odoo", "stock": "odoo"}
    assert [v["sku"] for v in product["variants"]] == [v.sku for v in seed.variants]
    assert [Decimal(v["price"]["amount"]) for v in product["variants"]] == [v.list_price for v in seed.variants]
    assert {v["price"]["currencyCode"] for v in product["variants"]} == {"EUR"}
    assert [v["selectedOptions"] for v in product["variants"]] == [
        [{"name": "Size", "value": v.option_value}] for v in seed.variants]
    expected_stock = [dc_available(catalog, v.erp_id) for v in seed.variants]
    assert [v["quantityAvailable"] for v in product["variants"]] == expected_stock
    assert product["totalInventory"] == sum(expected_stock)
    assert product["availableForSale"] is (sum(expected_stock) > 0)
    assert all(v["stock"]["source"] == "odoo" and v["stock"]["asOf"] for v in product["variants"])
    assert Decimal(product["priceRange"]["minVariantPrice"]["amount"]) == seed.variants[0].list_price
    assert Decimal(product["priceRange"]["maxVariantPrice"]["amount"]) == seed.variants[-1].list_price
    # lists a client stores say when each entry last changed
    assert {v["updatedAt"] for v in product["variants"]} == {seed.updated_at.isoformat()}
    assert product["updatedAt"] == seed.updated_at.isoformat()


def test_a_product_the_web_shop_lacks_falls_back_to_the_next_owner(gql, catalog):
    # given a product neither the web-shop nor the app backend knows
    seed = next(p for p in catalog.products if not p.in_webshop and not p.in_app)
    # when
    product = gql(PRODUCT, {"sku": seed.sku})["data"]["product"]
    # then the ERP's own title is used, and the provenance says so
    assert product["title"] == seed.erp_title
    assert {s["field"]: s["backend"] for s in product["sources"]}["title"] == "odoo"
    assert product["images"] == []


def test_products_are_found_by_gtin_and_by_global_id(gql, catalog):
    # given
    seed = next(p for p in catalog.products if len(p.variants) > 1)
    by_sku = gql("query($s: String!) { product(sku: $s) { id } }", {"s": seed.sku})["data"]["product"]
    # when
    by_gtin = gql("query($g: String!) { product(gtin: $g) { id sku } }", {"g": seed.variants[1].gtin})
    by_id = gql("query($i: ID!) { product(id: $i) { sku } }", {"i": by_sku["id"]})
    # then
    assert by_gtin["data"]["product"] == {"id": by_sku["id"], "sku": seed.sku}
    assert by_id["data"]["product"]["sku"] == seed.sku


def test_node_and_nodes_refetch_products_variants_and_stores(gql, catalog):
    # given
    seed = catalog.products[3]
    ids = gql("""query($s: String!) { product(sku: $s) { id variants { id } storeAvailability(first: 1) {
                 store { id } } } }""", {"s": seed.sku})["data"]["product"]
    variant_id, store_id = ids["variants"][0]["id"], ids["storeAvailability"][0]["store"]["id"]
    # when
    answer = gql("""query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
                    ... on Product { sku } ... on Variant { sku product { sku } } ... on Store { name } } }""",
                 {"ids": [ids["id"], variant_id, store_id]})
    # then
    nodes = answer["data"]["nodes"]
    assert [n["__typename"] for n in nodes] == ["Product", "Variant", "Store"]
    assert nodes[0]["sku"] == seed.sku
    assert nodes[1] == {"__typename": "Variant", "id": variant_id, "sku": seed.variants[0].sku,
                        "product": {"sku": seed.sku}}
    assert nodes[2]["name"]


def test_an_unknown_sku_is_null_without_error(gql):
    answer = gql('{ product(sku: "NO-SUCH-SKU") { sku } }')
    assert answer == {"data": {"product": None}}


def test_listing_pages_forward_with_cursors_without_gaps_or_repeats(gql, catalog):
    # given
    seen: list[str] = []
    after = None
    # when paging through the first 25 products five at a time
    for page in range(5):
        data = gql(LISTING, {"first": 5, "after": after})["data"]["products"]
        seen += [e["node"]["sku"] for e in data["edges"]]
        assert data["pageInfo"]["hasNextPage"] is True
        assert data["pageInfo"]["hasPreviousPage"] is (page > 0)
        after = data["pageInfo"]["endCursor"]
    # then
    assert seen == [p.sku for p in catalog.products[:25]]
    assert data["totalCount"] == len(catalog.products)


def test_listing_searches_filters_and_sorts(gql, catalog):
    # given a brand and category that occur in the catalog
    seed = catalog.products[0]
    expected = [p for p in catalog.products if p.brand == seed.brand and p.category == seed.category]
    # when
    data = gql(LISTING, {"first": 100, "filter": {"brand": seed.brand.upper(), "category": seed.category},
                         "sortKey": "PRICE", "reverse": True})["data"]["products"]
    # then
    prices = [Decimal(e["node"]["priceRange"]["minVariantPrice"]["amount"]) for e in data["edges"]]
    assert {e["node"]["sku"] for e in data["edges"]} == {p.sku for p in expected}
    assert prices == sorted(prices, reverse=True)
    assert data["totalCount"] == len(expected)


def test_listing_text_search_and_price_range(gql, catalog):
    word = "Kettle"
    low, high = Decimal("50"), Decimal("150")
    expected = {p.sku for p in catalog.products if word.lower() in p.erp_title.lower() and low <= p.list_price <= high}
    data = gql(LISTING, {"first": 100, "query": word.lower(),
                         "filter": {"price": {"min": str(low), "max": str(high)}}})["data"]["products"]
    assert {e["node"]["sku"] for e in data["edges"]} == expected
    assert expected


def test_listing_in_stock_filter_matches_the_channel_stock(gql, catalog):
    data = gql(LISTING.replace("totalCount", "totalCount edges { node { availableForSale } }"),
               {"first": 50, "filter": {"availableForSale": True}})["data"]["products"]
    assert data["edges"]
    assert all(e["node"]["availableForSale"] for e in data["edges"])


def test_stores_are_sorted_by_distance_from_near(gql):
    # when asking from Hamburg
    answer = gql("{ stores(first: 3, near: {latitude: 53.55, longitude: 10.0}) { name distanceKm "
                 "address { city zip countryCode } location { latitude longitude } } }")
    # then the Hamburg store is first, and distances grow
    stores = answer["data"]["stores"]
    assert stores[0]["address"]["city"] == "Hamburg"
    assert [s["distanceKm"] for s in stores] == sorted(s["distanceKm"] for s in stores)
    assert stores[0]["distanceKm"] < 1


def test_store_availability_is_per_store_and_nearest_first(gql, catalog):
    seed = catalog.products[10]
    answer = gql("""query($s: String!) { product(sku: $s) { storeAvailability(first: 5,
                    near: {latitude: 48.14, longitude: 11.57}) { store { name } quantity available pickUpTime } } }""",
                 {"s": seed.sku})
    rows = answer["data"]["product"]["storeAvailability"]
    assert rows[0]["store"]["name"] == "Store München Zentrum"
    munich = next(loc for loc in LOCATIONS if loc.code == "MUC")
    expected = sum(max(0, on - res) for v in seed.variants for on, res in [stock_at(v.erp_id, munich)])
    assert rows[0]["quantity"] == expected
    assert all(r["available"] is (r["quantity"] > 0) for r in rows)
    assert all((r["pickUpTime"] == "PT2H") is r["available"] for r in rows)


def test_channels_lists_every_channel_with_its_sources(gql):
    channels = gql("{ channels { code currencyCode priceSource stockSource } }")["data"]["channels"]
    assert {c["code"]: (c["priceSource"], c["stockSource"]) for c in channels} == {
        "WEB": ("erp", "erp"), "APP": ("app", "erp"), "STORE": ("erp", "erp"),
        "CALL_CENTER": ("erp", "erp"), "MARKETPLACE": ("marketplace", "marketplace")}


PRICES = """query($s: String!) { product(sku: $s) { sources { field backend }
  variants { sku price { amount currencyCode } compareAtPrice { amount } quantityAvailable stock { source } } } }"""


def test_the_app_channel_shows_app_promotions_with_compare_at_price(gql, catalog):
    seed = next(p for p in catalog.products if p.in_app and p.app_promotion)
    query = "query($s: String!) @inContext(channel: APP) " + PRICES.removeprefix("query($s: String!)")
    variants = gql(query, {"s": seed.sku})["data"]["product"]["variants"]
    assert [Decimal(v["price"]["amount"]) for v in variants] == [
        (v.list_price * seed.app_promotion).quantize(Decimal("0.01")) for v in seed.variants]
    assert [Decimal(v["compareAtPrice"]["amount"]) for v in variants] == [v.list_price for v in seed.variants]


def test_the_store_channel_uses_its_pricelist_and_store_stock(gql, catalog):
    seed = next(p for p in catalog.products if p.store_price is not None)
    answer = gql(PRICES, {"s": seed.sku}, headers={"X-Channel": "store"})["data"]["product"]
    assert Decimal(answer["variants"][0]["price"]["amount"]) == seed.store_price
    assert answer["variants"][0]["compareAtPrice"] is None
    stores = [loc for loc in LOCATIONS if loc.is_store]
    v = seed.variants[0]
    assert answer["variants"][0]["quantityAvailable"] == sum(
        max(0, on - res) for loc in stores for on, res in [stock_at(v.erp_id, loc)])


def test_the_store_channel_prices_the_rest_by_its_pricelists_category_and_global_rules(gql, catalog):
    # given two products the store pricelist fixes no price for: one of knitwear, one not
    knit = next(p for p in catalog.products if p.store_price is None and p.category == "Knitwear")
    other = next(p for p in catalog.products if p.store_price is None and p.category != "Knitwear")
    # when the store channel reads them
    knit_prices, other_prices = ([Decimal(v["price"]["amount"]) for v in gql(
        PRICES, {"s": seed.sku}, headers={"X-Channel": "STORE"})["data"]["product"]["variants"]] for seed in (knit, other))
    # then knitwear is 15 % off, rounded to whole euros less a cent; the rest 3 % off
    assert knit_prices == [(v.list_price * Decimal("0.85")).quantize(Decimal(1), ROUND_HALF_UP) - Decimal("0.01")
                           for v in knit.variants]
    assert other_prices == [(v.list_price * Decimal("0.97")).quantize(Decimal("0.01"), ROUND_HALF_UP)
                            for v in other.variants]


def test_the_marketplace_channel_uses_offer_prices_and_its_own_stock_pool(gql, catalog):
    seed = next(p for p in catalog.products if p.on_marketplace)
    query = "query($s: String!) @inContext(channel: MARKETPLACE, currency: EUR) " + PRICES.removeprefix(
        "query($s: String!)")
    answer = gql(query, {"s": seed.sku})["data"]["product"]
    assert Decimal(answer["variants"][0]["price"]["amount"]) == seed.marketplace_price
    assert [v["quantityAvailable"] for v in answer["variants"]] == [marketplace_pool(v.erp_id) for v in seed.variants]
    assert {s["field"]: s["backend"] for s in answer["sources"]}["price"] == "ebay"
    assert {v["stock"]["source"] for v in answer["variants"]} == {"ebay"}


def test_in_context_wins_over_the_channel_header_and_takes_variables(gql, catalog):
    seed = next(p for p in catalog.products if p.store_price is not None)
    query = "query($s: String!, $c: ChannelCode) @inContext(channel: $c) " + PRICES.removeprefix(
        "query($s: String!)")
    answer = gql(query, {"s": seed.sku, "c": "STORE"}, headers={"X-Channel": "WEB"})
    assert Decimal(answer["data"]["product"]["variants"][0]["price"]["amount"]) == seed.store_price
