"""Names and default ports of the four simulators."""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette

from simulators import ebay, medusa, odoo, woocommerce
from simulators.catalog import Catalog

SIMULATORS: dict[str, tuple[Callable[[Catalog], Starlette], int]] = {
    "woocommerce": (woocommerce.create_app, 8101),
    "medusa": (medusa.create_app, 8102),
    "odoo": (odoo.create_app, 8103),
    "ebay": (ebay.create_app, 8104),
}
# uvicorn's h11 refuses a request head over 16 KiB with a 400 of its own: simulators are served with
# room above that (h11_max_incomplete_event_size), so each answers an oversized request as its real
# system does (Medusa: 431)
SERVED_HEAD_BYTES = 1024 * 1024


def build_app(name: str, catalog: Catalog) -> Starlette:
    factory, _ = SIMULATORS[name]
    return factory(catalog)
