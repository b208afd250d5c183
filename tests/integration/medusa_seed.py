"""Seeds a real Medusa v2 through its Admin API with part of the simulated catalog, as a retailer's
app backend would hold it: products with slugs for handles, their variants carrying the ERP's SKUs,
list prices on the variants and the app's promotion as a sale price list, in a sales channel that
a publishable key reaches, priced for a region in euros."""

from __future__ import annotations

import re
from collections.abc import Sequence

import httpx

from simulators.catalog import CURRENCY, SeedProduct
from tests.adapters.medusa_contract import MedusaStore

REGION = {"name": "Europe", "currency_code": CURRENCY.lower(), "countries": ["de", "at"]}


def slug(title: str, taken: set[str]) -> str:
    """A handle as a store's admin makes them: the title in lower case, a number added to a repeat."""
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    handle, n = base, 1
    while handle in taken:
        n += 1
        handle = f"{base}-{n}"
    taken.add(handle)
    return handle


def _money(amount: object) -> float:
    return float(str(amount))  # Medusa v2 takes amounts in major units, as JSON numbers


def _product(product: SeedProduct, handle: str, channel_id: str, category_id: str) -> dict:
    image = f"https://app-cdn.example.com/{handle}"
    return {
        "title": product.title,
        "handle": handle,
        "subtitle": product.brand,
        "description": product.description,
        "status": "published",
        "thumbnail": f"{image}/thumb.webp",
        "images": [{"url": f"{image}/1.webp"}],
        "categories": [{"id": category_id}],
        "sales_channels": [{"id": channel_id}],
        "options": [{"title": "Size", "values": [v.option_value for v in product.variants]}],
        "variants": [{
            "title": v.option_value,
            "sku": v.sku,
            "ean": v.gtin,
            "manage_inventory": False,
            "options": {"Size": v.option_value},
            "prices": [{"currency_code": REGION["currency_code"], "amount": _money(v.list_price)}],
        } for v in product.variants],
    }


class AdminApi:
    """The Admin API under a user's token; any answer but a success stops the seeding with its body."""

    def __init__(self, base_url: str, email: str, password: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=120)
        answer = self.http.post("/auth/user/emailpass", json={"email": email, "password": password})
        self.http.headers["Authorization"] = f"Bearer {self._body(answer)['token']}"

    @staticmethod
    def _body(answer: httpx.Response) -> dict:
        if not answer.is_success:
            raise RuntimeError(f"Medusa answered {answer.request.method} {answer.request.url.path} with "
                               f"{answer.status_code}: {answer.text[:500]}")
        return answer.json()

    def post(self, path: str, body: dict) -> dict:
        return self._body(self.http.post(path, json=body))

    def close(self) -> None:
        self.http.close()


def seed(base_url: str, email: str, password: str, products: Sequence[SeedProduct]) -> MedusaStore:
    admin = AdminApi(base_url, email, password)
    try:
        region = admin.post("/admin/regions", REGION)["region"]
        channel = admin.post("/admin/sales-channels", {"name": "Mobile app"})["sales_channel"]
        publishable = admin.post("/admin/api-keys", {"title": "Mobile app", "type": "publishable"})["api_key"]
        admin.post(f"/admin/api-keys/{publishable['id']}/sales-channels", {"add": [channel["id"]]})
        secret = admin.post("/admin/api-keys", {"title": "Gateway tests", "type": "secret"})["api_key"]
        categories = {name: admin.post("/admin/product-categories", {
            "name": name, "handle": name.lower(), "is_active": True, "is_internal": False})["product_category"]["id"]
            for name in sorted({p.category for p in products})}
        taken: set[str] = set()
        created = admin.post("/admin/products/batch", {"create": [
            _product(p, slug(p.title, taken), channel["id"], categories[p.category]) for p in products]})["created"]
        variant_ids = {v["sku"]: v["id"] for p in created for v in p["variants"]}
        admin.post("/admin/price-lists", {
            "title": "App promotion", "description": "Sale prices for app customers",
            "type": "sale", "status": "active",
            "prices": [{"variant_id": variant_ids[v.sku], "currency_code": REGION["currency_code"],
                        "amount": _money(p.app_price(v))}
                       for p in products if p.app_promotion for v in p.variants]})
        return MedusaStore(base_url, publishable["token"], secret["token"], region["id"], tuple(products))
    finally:
        admin.close()
