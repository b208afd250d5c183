"""customerUpdate: checks the input, writes it to the system of record (the ERP's contact) and answers
the merged profile read again. Writing the same input twice leaves the same contact, so a retried
update needs no idempotency key.

Texts are NFC-normalised and stripped; control characters (C0, C1) and invisible formatting ones
(Unicode category Cf: bidirectional overrides, zero-width joiners) are refused, as are private-use
and unassigned code points: none belongs in a name, a phone number or an address, and some would
let a name be displayed as another.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from domain.carts import UserError
from domain.customers import ContactChanges
from domain.records import Address
from resolvers import profile
from resolvers.context import RequestContext
from resolvers.locks import exclusively

MAX_NAME = 80
MAX_ADDRESS_FIELD = 120
PHONE = re.compile(r"\+?[0-9 ().\-/]+")
PHONE_DIGITS = (5, 20)
COUNTRY = re.compile(r"[A-Z]{2}")
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs"})
LOCK_WAIT_SECONDS = 10.0  # another update of the same customer is waited for this long
BUSY = UserError("UPDATE_IN_PROGRESS", "another update of this profile is still being written; try again",
                 retryable=True)


@dataclass(frozen=True, slots=True)
class AddressInput:
    street: str | None = None
    city: str | None = None
    zip: str | None = None
    country_code: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerInput:
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    accepts_marketing: bool | None = None
    address: AddressInput | None = None


def clean(text: str) -> str | None:
    """The text normalised and stripped, or None when it holds a character refused in it."""
    text = unicodedata.normalize("NFC", text).strip()
    return None if any(unicodedata.category(c) in REFUSED_CATEGORIES for c in text) else text


def _name(raw: str | None, field: str) -> tuple[str | None, UserError | None]:
    if raw is None:
        return None, None
    if len(raw) > 4 * MAX_NAME:  # refused before any work on it
        return None, UserError("NAME_TOO_LONG", f"{field} has at most {MAX_NAME} characters", ("input", field))
    text = clean(raw)
    if not text:
        return None, UserError("INVALID_NAME", f"{field} is empty or holds control or formatting characters",
                               ("input", field))
    if len(text) > MAX_NAME:
        return None, UserError("NAME_TOO_LONG", f"{field} has at most {MAX_NAME} characters", ("input", field))
    return text, None


def _phone(raw: str | None) -> tuple[str | None, UserError | None]:
    if raw is None:
        return None, None
    text = clean(raw[:64]) if len(raw) <= 64 else None
    digits = sum(c.isdigit() for c in text or "")
    if text == "":
        return "", None  # removes the phone number
    if text is None or not PHONE.fullmatch(text) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
        return None, UserError("INVALID_PHONE", "phone: 5 to 20 digits, an optional leading +, and spaces, dots, "
                                                "dashes, slashes or parentheses", ("input", "phone"))
    return text, None


def _address(raw: AddressInput | None) -> tuple[Address | None, UserError | None]:
    if raw is None:
        return None, None
    values: dict[str, str | None] = {}
    for field, value in (("street", raw.street), ("city", raw.city), ("zip", raw.zip)):
        text = clean(value) if value is not None and len(value) <= MAX_ADDRESS_FIELD else None
        if value is not None and text is None:
            return None, UserError("INVALID_ADDRESS", f"address.{field}: at most {MAX_ADDRESS_FIELD} characters, "
                                                      "no control characters", ("input", "address", field))
        values[field] = text or None
    country = raw.country_code.strip().upper() if raw.country_code is not None else None
    if country is not None and not COUNTRY.fullmatch(country):
        return None, UserError("INVALID_ADDRESS", "address.countryCode: an ISO 3166 alpha-2 code such as DE",
                               ("input", "address", "countryCode"))
    return Address(street=values["street"], city=values["city"], zip=values["zip"], country_code=country), None


def changes_of(given: CustomerInput, keeps_consent: bool) -> tuple[ContactChanges | None, list[UserError]]:
    """The changes to write, or the user errors that refuse the input."""
    first, first_error = _name(given.first_name, "firstName")
    last, last_error = _name(given.last_name, "lastName")
    phone, phone_error = _phone(given.phone)
    address, address_error = _address(given.address)
    errors = [e for e in (first_error, last_error, phone_error, address_error) if e is not None]
    if given.accepts_marketing is not None and not keeps_consent:
        errors.append(UserError("MARKETING_CONSENT_NOT_KEPT", "the system of record keeps no marketing consent here",
                                ("input", "acceptsMarketing")))
    changes = ContactChanges(first_name=first, last_name=last, phone=phone,
                             accepts_marketing=given.accepts_marketing, address=address)
    if not errors and changes == ContactChanges():
        errors.append(UserError("NOTHING_TO_UPDATE", "give at least one field to change", ("input",)))
    return (None, errors) if errors else (changes, [])


async def update(ctx: RequestContext, given: CustomerInput) -> tuple[profile.Profile | None, list[UserError]]:
    if ctx.customer_id is None:
        return None, [UserError("CUSTOMER_REQUIRED", "only a signed-in customer has a profile to update")]
    erp = ctx.services.backends.erp
    changes, errors = changes_of(given, erp.keeps_marketing_consent)
    if changes is None:
        return None, errors
    # one write per customer at a time, in any process: the ERP has no unique reference, and two first
    # updates at once would each create a contact
    hold = timedelta(seconds=ctx.services.cart_rules.claim_seconds)
    async with exclusively(ctx.services, f"contact:{ctx.customer_id}", hold, LOCK_WAIT_SECONDS) as held:
        if not held:
            return None, [BUSY]
        await erp.write_contact(ctx.customer_id, ctx.customer_email, changes)
    ctx.memo.pop(profile.MATCHES, None)  # read again, after the write
    return await profile.profile(ctx), []
