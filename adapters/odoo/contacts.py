"""The customer's contact in Odoo (`res.partner`): the system of record of who the customer is.

A signed-in customer's contact carries the gateway's customer id as its `ref` (checkout makes it
so). Without one, a contact with the customer's verified e-mail (any letter case) and no `ref` of
its own is theirs: a guest checkout's contact, which the first customerUpdate claims (writes the
`ref`). Its delivery addresses are its children of `type` delivery.

Odoo keeps one `name`: domain/customers.py's `split_name` makes first and last name of it (the
last word is the last name), and a write joins them again. Odoo's core has no marketing opt-in on a
contact (mass_mailing's blacklist records opt-outs of mass mailings, not consent), so consent is
read and written only when `consent_field` names a boolean field the installation added (a Studio
field such as `x_accepts_marketing`); without it the ERP holds no consent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from adapters.odoo.changes import Records
from adapters.odoo.orders import like_literal
from adapters.odoo.transports import NAME, OdooTransport
from adapters.odoo.values import text_of
from domain.customers import ContactChanges, CustomerRecord, join_name, split_name
from domain.errors import MalformedPayload
from domain.records import Address

CONTACT_FIELDS = ["name", "email", "phone", "ref", "type", "parent_id", "street", "city", "zip", "country_code"]


def _address(row: dict) -> Address | None:
    address = Address(street=text_of(row.get("street")), city=text_of(row.get("city")), zip=text_of(row.get("zip")),
                      country_code=text_of(row.get("country_code")))
    return address if any((address.street, address.city, address.zip)) else None


class OdooContacts:
    """Mixed into the adapter: its `_records` does the reads, `_create` and `_address_vals` the writes."""

    transport: OdooTransport
    _records: Records
    consent_field: str | None

    _create: Callable[[str, dict], Awaitable[int]]  # OdooOrders'
    _address_vals: Callable[[Address | None], Awaitable[dict[str, object]]]  # OdooOrders'

    @property
    def keeps_marketing_consent(self) -> bool:
        return self.consent_field is not None

    @property
    def _contact_fields(self) -> list[str]:
        return [*CONTACT_FIELDS, *([self.consent_field] if self.consent_field else [])]

    async def contact_of(self, customer_id: str, email: str | None) -> CustomerRecord | None:
        """The customer's contact with its delivery addresses: one call when found by the customer id."""
        rows = await self._records("res.partner", "search_read", fields=self._contact_fields, order="id",
                                   domain=["|", ["ref", "=", customer_id],
                                           "&", ["parent_id.ref", "=", customer_id], ["type", "=", "delivery"]])
        main = next((r for r in rows if r.get("ref") == customer_id and not r.get("parent_id")), None)
        if main is None and email:
            main = await self._guest_contact(email)
            if main is not None:
                rows = [main, *await self._records("res.partner", "search_read", fields=self._contact_fields,
                                                   order="id", domain=[["parent_id", "=", main["id"]],
                                                                       ["type", "=", "delivery"]])]
        if main is None:
            return None
        return self._record(main, [r for r in rows if r is not main and r.get("type") == "delivery"])

    async def _guest_contact(self, email: str) -> dict | None:
        found = await self._records("res.partner", "search_read", fields=self._contact_fields, limit=1, order="id",
                                    domain=[["email", "=ilike", like_literal(email)], ["ref", "=", False],
                                            ["parent_id", "=", False]])
        return found[0] if found else None

    def _record(self, main: dict, deliveries: list[dict]) -> CustomerRecord:
        try:
            first, last = split_name(text_of(main.get("name")))
            consent = main.get(self.consent_field) if self.consent_field else None
            addresses = [a for a in (_address(row) for row in (main, *deliveries)) if a is not None]
            return CustomerRecord(backend=NAME, key=str(main["id"]), email=text_of(main.get("email")),
                                  first_name=first, last_name=last, phone=text_of(main.get("phone")),
                                  addresses=tuple(dict.fromkeys(addresses)),
                                  accepts_marketing=consent if isinstance(consent, bool) else None)
        except (KeyError, TypeError) as exc:
            raise MalformedPayload(NAME, f"res.partner is incomplete ({exc})") from exc

    async def write_contact(self, customer_id: str, email: str | None, changes: ContactChanges) -> None:
        """Writes the changes to the customer's contact (claiming a guest contact with their verified
        e-mail), or creates the contact with `ref` the customer id when they have none."""
        found = await self._records("res.partner", "search_read", fields=self._contact_fields, limit=1,
                                    domain=[["ref", "=", customer_id], ["parent_id", "=", False]])
        main = found[0] if found else (await self._guest_contact(email) if email else None)
        current_first, current_last = split_name(text_of(main.get("name"))) if main else (None, None)
        vals: dict[str, object] = {}
        if changes.first_name is not None or changes.last_name is not None:
            vals["name"] = join_name(changes.first_name if changes.first_name is not None else current_first,
                                     changes.last_name if changes.last_name is not None else current_last)
        if changes.phone is not None:
            vals["phone"] = changes.phone or False
        if changes.accepts_marketing is not None and self.consent_field:
            vals[self.consent_field] = changes.accepts_marketing
        if changes.address is not None:
            vals.update(await self._address_vals(changes.address))
        if main is None:
            vals.setdefault("name", email or customer_id)  # Odoo requires a contact's name
            await self._create("res.partner", {**vals, "ref": customer_id, **({"email": email} if email else {})})
            return
        if not main.get("ref"):
            vals["ref"] = customer_id
        if vals:
            await self.transport.call("res.partner", "write", ids=[main["id"]], vals=vals)
