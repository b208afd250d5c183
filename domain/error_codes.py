"""The codes of expected failures (user errors) and of cart warnings: one enum per slice of the API,
each member with the sentence that documents it.

The use cases still write codes as plain strings (`UserError("CART_NOT_FOUND", …)`); a member is
equal to its string, so either may be written. The schema makes its GraphQL enums from these
(`CartErrorCode`, `CheckoutErrorCode`, `KeyErrorCode`, `CartWarningCode`), so a client finds every
code by introspection. A code the use cases produce must be a member of its slice's enum:
tests/unit/test_error_codes.py reads the sources and fails on one that is not. `INTERNAL` is
what the schema answers, and logs as an error, for a code that is missing all the same.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class Code(StrEnum):
    """A code and its description: `NAME = "NAME", "what it means"`."""

    description: str

    def __new__(cls, value: str, description: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member


_INTERNAL = ("INTERNAL", "A code this version of the gateway does not list, which is a bug, logged as such; "
                         "`message` says what happened.")
_CART_NOT_FOUND = "No cart with this ID, or a customer's cart without that customer's token."
_CART_CLOSED = ("The cart was merged into another at sign-in (`message` names it) or checked out; it takes no "
                "more changes.")
_INSUFFICIENT_STOCK = "The channel's stock does not cover the quantity; `message` says what is available."
_UNKNOWN_MERCHANDISE = "No variant with this ID is sold (any more)."
_IDEMPOTENCY = {
    "IDEMPOTENCY_KEY_INVALID": "An idempotency key has 1 to 255 characters.",
    "IDEMPOTENCY_KEY_REUSED": "This idempotency key was used for another operation or input; take a new key.",
    "IDEMPOTENCY_KEY_IN_USE": "A request with this idempotency key is still running; retry later.",
}


class CartErrorCode(Code):
    """Why a cart mutation (`cartCreate`, `cartLines*`, `cartNoteUpdate`, …) changed nothing."""

    CART_NOT_FOUND = "CART_NOT_FOUND", _CART_NOT_FOUND
    CART_CLOSED = "CART_CLOSED", _CART_CLOSED
    VERSION_CONFLICT = "VERSION_CONFLICT", ("The cart is not at `expectedVersion` (re-apply the change to the cart "
                                            "returned), or it changed too often to apply this change; try again.")
    LINE_NOT_FOUND = "LINE_NOT_FOUND", "No line with this ID in this cart."
    UNKNOWN_MERCHANDISE = "UNKNOWN_MERCHANDISE", _UNKNOWN_MERCHANDISE
    INVALID_QUANTITY = "INVALID_QUANTITY", "A quantity below 1 or above `carts.max_quantity`."
    TOO_MANY_LINES = "TOO_MANY_LINES", "A cart has at most `carts.max_lines` lines."
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK", _INSUFFICIENT_STOCK
    INVALID_NOTE = "INVALID_NOTE", "The note is too long."
    TOO_MANY_ATTRIBUTES = "TOO_MANY_ATTRIBUTES", "A cart, and each line, has at most 32 attributes."
    ATTRIBUTE_TOO_LONG = "ATTRIBUTE_TOO_LONG", ("An attribute's key has at most 64 characters and its value at "
                                                "most 500.")
    DISCOUNT_CODE_INVALID = "DISCOUNT_CODE_INVALID", "The web-shop has no such coupon, or it does not apply now."
    TOO_MANY_DISCOUNT_CODES = "TOO_MANY_DISCOUNT_CODES", "A cart has at most `carts.max_discount_codes` codes."
    CUSTOMER_REQUIRED = "CUSTOMER_REQUIRED", "Send the customer's bearer token to attach the cart to them."
    CHECKOUT_IN_PROGRESS = "CHECKOUT_IN_PROGRESS", ("A checkout of this cart is running: the cart takes no change "
                                                    "until it ends; read the cart later.")
    IDEMPOTENCY_KEY_INVALID = "IDEMPOTENCY_KEY_INVALID", _IDEMPOTENCY["IDEMPOTENCY_KEY_INVALID"]
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED", _IDEMPOTENCY["IDEMPOTENCY_KEY_REUSED"]
    IDEMPOTENCY_KEY_IN_USE = "IDEMPOTENCY_KEY_IN_USE", _IDEMPOTENCY["IDEMPOTENCY_KEY_IN_USE"]
    INTERNAL = _INTERNAL


class CheckoutErrorCode(Code):
    """Why `cartCheckout` placed no order."""

    CART_NOT_FOUND = "CART_NOT_FOUND", _CART_NOT_FOUND
    CART_CLOSED = "CART_CLOSED", "The cart was merged into another at sign-in (`message` names it)."
    CART_EMPTY = "CART_EMPTY", "The cart has no lines."
    CHECKOUT_IN_PROGRESS = "CHECKOUT_IN_PROGRESS", ("Another checkout of this cart is still running; read the cart "
                                                    "later.")
    ORDER_EXISTS = "ORDER_EXISTS", ("An order was placed for this cart before it changed (its checkout failed late); "
                                    "the lines added since need a new cart.")
    VERSION_CONFLICT = "VERSION_CONFLICT", "The cart changed too often to check it out; try again."
    INVALID_EMAIL = "INVALID_EMAIL", "Not an e-mail address."
    INVALID_ADDRESS = "INVALID_ADDRESS", "A shipping address field is missing or malformed (`field` says which)."
    DELIVERY_REQUIRED = "DELIVERY_REQUIRED", "Give either `shippingAddress` or `pickupStoreId`."
    PICKUP_STORE_UNKNOWN = "PICKUP_STORE_UNKNOWN", "No pickup store with this ID."
    DISCOUNT_CODE_INVALID = "DISCOUNT_CODE_INVALID", ("A discount code on the cart does not apply (any more, or "
                                                      "to this buyer: e-mail restriction, uses per customer), or its "
                                                      "last use was taken meanwhile; `message` says which and why. "
                                                      "Remove it (`cartDiscountCodesUpdate`) to check out without.")
    CHANNEL_NOT_ALLOWED = "CHANNEL_NOT_ALLOWED", ("The API key may not check out at the operation's channel "
                                                  "(`X-Channel`, `@inContext`); `message` names those it may.")
    PAYMENT_REFERENCE_REQUIRED = "PAYMENT_REFERENCE_REQUIRED", "The payment provider's reference is required."
    UNKNOWN_MERCHANDISE = "UNKNOWN_MERCHANDISE", _UNKNOWN_MERCHANDISE
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK", ("The stock (for pickup: the chosen store's) does not cover a line's "
                                                "quantity; `message` says what is available.")
    IDEMPOTENCY_KEY_INVALID = "IDEMPOTENCY_KEY_INVALID", _IDEMPOTENCY["IDEMPOTENCY_KEY_INVALID"]
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED", _IDEMPOTENCY["IDEMPOTENCY_KEY_REUSED"]
    IDEMPOTENCY_KEY_IN_USE = "IDEMPOTENCY_KEY_IN_USE", _IDEMPOTENCY["IDEMPOTENCY_KEY_IN_USE"]
    INTERNAL = _INTERNAL


class CustomerErrorCode(Code):
    """Why `customerUpdate` changed nothing."""

    CUSTOMER_REQUIRED = "CUSTOMER_REQUIRED", "Send the customer's bearer token: only a signed-in customer has a profile."
    NOTHING_TO_UPDATE = "NOTHING_TO_UPDATE", "The input changes no field."
    INVALID_NAME = "INVALID_NAME", ("A name is empty, or holds control or invisible formatting characters "
                                    "(`field` says which).")
    NAME_TOO_LONG = "NAME_TOO_LONG", "A first or last name has at most 80 characters (`field` says which)."
    INVALID_PHONE = "INVALID_PHONE", ("A phone number has 5 to 20 digits, an optional leading +, and spaces, dots, "
                                      "dashes, slashes or parentheses between them; an empty one removes it.")
    INVALID_ADDRESS = "INVALID_ADDRESS", ("An address field is too long (120 characters), holds control characters, "
                                          "or the country is not an ISO 3166 alpha-2 code (`field` says which).")
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS", ("Another update of this customer's profile took longer than 10 s "
                                                "to be written; retry.")
    MARKETING_CONSENT_NOT_KEPT = "MARKETING_CONSENT_NOT_KEPT", ("The system of record keeps no marketing consent "
                                                                "in this installation (README: Customer profile "
                                                                "and order history).")
    INTERNAL = _INTERNAL


class ListErrorCode(Code):
    """Why a saved-list mutation (`listCreate`, `listItems*`, `cartLinesSaveForLater`,
    `listBuyerIdentityUpdate`) changed nothing."""

    LIST_NOT_FOUND = "LIST_NOT_FOUND", "No list with this ID, or a customer's list without that customer's token."
    LIST_CLOSED = "LIST_CLOSED", "The guest list was merged into the customer's at sign-in (`message` names it)."
    VERSION_CONFLICT = "VERSION_CONFLICT", ("The list (for `cartLinesSaveForLater`, the cart) is not at "
                                            "`expectedVersion`, or it is being merged or moved to a cart, or it "
                                            "changed too often to apply this change; read it and try again.")
    ITEM_NOT_FOUND = "ITEM_NOT_FOUND", "No item with this ID in this list."
    UNKNOWN_MERCHANDISE = "UNKNOWN_MERCHANDISE", _UNKNOWN_MERCHANDISE
    TOO_MANY_ITEMS = "TOO_MANY_ITEMS", "A list holds at most `lists.max_items` items."
    TOO_MANY_LISTS = "TOO_MANY_LISTS", "A customer has at most `lists.max_lists` lists, the default one included."
    INVALID_NAME = "INVALID_NAME", ("A list name is empty, longer than `lists.name_max_length` characters, or has "
                                    "control or invisible text-direction characters.")
    NAME_TAKEN = "NAME_TAKEN", "The customer has a list of this name (case aside), or it is the default list's."
    CUSTOMER_REQUIRED = "CUSTOMER_REQUIRED", "Send the customer's bearer token to attach the list to them."
    CART_NOT_FOUND = "CART_NOT_FOUND", _CART_NOT_FOUND
    CART_CLOSED = "CART_CLOSED", _CART_CLOSED
    LINE_NOT_FOUND = "LINE_NOT_FOUND", "No line with this ID in this cart."
    CHECKOUT_IN_PROGRESS = "CHECKOUT_IN_PROGRESS", "A checkout of the cart is running; try again after it."
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK", _INSUFFICIENT_STOCK
    INVALID_QUANTITY = "INVALID_QUANTITY", "Moving the item would take its cart line above `carts.max_quantity`."
    TOO_MANY_LINES = "TOO_MANY_LINES", "The cart has `carts.max_lines` lines: no room for the items moved."
    TOO_MANY_ATTRIBUTES = "TOO_MANY_ATTRIBUTES", "A cart line has at most 32 attributes."
    ATTRIBUTE_TOO_LONG = "ATTRIBUTE_TOO_LONG", "A cart line attribute is too long."
    IDEMPOTENCY_KEY_INVALID = "IDEMPOTENCY_KEY_INVALID", _IDEMPOTENCY["IDEMPOTENCY_KEY_INVALID"]
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED", _IDEMPOTENCY["IDEMPOTENCY_KEY_REUSED"]
    IDEMPOTENCY_KEY_IN_USE = "IDEMPOTENCY_KEY_IN_USE", _IDEMPOTENCY["IDEMPOTENCY_KEY_IN_USE"]
    INTERNAL = _INTERNAL


class ListWarningCode(Code):
    """Something a saved-list mutation did not do as asked; the rest was done."""

    ALREADY_SAVED = "ALREADY_SAVED", "The list holds this SKU already: kept once, as first saved."
    LIST_FULL = "LIST_FULL", "A merge at sign-in could not move an item: the list is full."
    INTERNAL = _INTERNAL


class KeyErrorCode(Code):
    """Why an API key mutation (`apiKeyCreate`, `apiKeyRotate`, `apiKeyRevoke`) did nothing."""

    INVALID_INPUT = "INVALID_INPUT", "The input is not allowed; `message` says what is."
    KEY_NOT_FOUND = "KEY_NOT_FOUND", "No API key with this ID."
    INTERNAL = _INTERNAL


class CartWarningCode(Code):
    """Something about a cart the shopper should know; the cart is still usable."""

    PRICE_CHANGED = "PRICE_CHANGED", "The line's price changed since it was added; `message` has both amounts."
    ITEM_UNAVAILABLE = "ITEM_UNAVAILABLE", "The variant is no longer sold."
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK", "The channel's stock no longer covers the line's quantity."
    DISCOUNT_CODE_NOT_APPLICABLE = "DISCOUNT_CODE_NOT_APPLICABLE", ("A discount code on the cart does not apply "
                                                                    "now; it stays on the cart.")
    PRICES_UNCONFIRMED = "PRICES_UNCONFIRMED", ("Prices as when added: the backends could not price the cart just "
                                                "now.")
    QUANTITY_CAPPED = "QUANTITY_CAPPED", "A merge at sign-in capped a quantity at what is in stock."
    TOO_MANY_LINES = "TOO_MANY_LINES", "A merge at sign-in could not move a line: the cart is full."
    INTERNAL = _INTERNAL


class AlertErrorCode(Code):
    """Why `alertPreferencesUpdate` or `notificationsMarkRead` changed nothing."""

    DELIVERY_NOT_OFFERED = "DELIVERY_NOT_OFFERED", ("This gateway makes no such delivery (no mail server or no webhook "
                                                    "is configured).")
    EMAIL_NOT_VERIFIED = "EMAIL_NOT_VERIFIED", ("E-mail alerts need the customer's token to carry a verified e-mail "
                                                "(`email` with `email_verified: true`).")
    NOTIFICATION_NOT_FOUND = "NOTIFICATION_NOT_FOUND", "No notification of this customer has this ID."
    TOO_MANY_IDS = "TOO_MANY_IDS", "At most 100 IDs at once."
    CUSTOMER_REQUIRED = "CUSTOMER_REQUIRED", "Send the customer's bearer token."
    INTERNAL = _INTERNAL


class WebhookErrorCode(Code):
    """Why a partner webhook mutation (`webhookCreate`, `webhookDelete`, `webhookSecretRotate`,
    `webhookEnable`) changed nothing."""

    NOT_FOUND = "NOT_FOUND", "No endpoint with this ID that this API key manages."
    INVALID_URL = "INVALID_URL", ("The URL is not allowed: https (http only with `webhooks.allow_http`), no "
                                  "credentials, at most 2,000 characters; `message` says what is wrong.")
    INVALID_EVENTS = "INVALID_EVENTS", "Give at least one event kind; STOCK needs the scope `stock:read`."
    CHANNEL_NOT_ALLOWED = "CHANNEL_NOT_ALLOWED", ("The API key is bound to another channel, or is bound to none and "
                                                  "may not manage endpoints (only `keys:admin` keys may choose).")
    TOO_MANY_ENDPOINTS = "TOO_MANY_ENDPOINTS", "An API key has at most `webhooks.max_endpoints_per_key` endpoints."
    NOT_DISABLED = "NOT_DISABLED", "The endpoint is active; only a disabled one is enabled."
    INTERNAL = _INTERNAL
