"""The error hierarchy. Adapters map transport failures to these once, at the boundary."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the gateway expects and knows how to report."""

    code = "INTERNAL"


class BadUserInput(DomainError):
    """The caller asked for something that cannot be answered; the message says what is allowed."""

    code = "BAD_USER_INPUT"


class BackendError(DomainError):
    """A backend could not supply what it owns. `backend` names it for the client; the message
    (`detail`: what the backend said, which may hold its internals) is for the log only, and clients
    read `summary` instead."""

    code = "BACKEND_ERROR"
    summary = "answered an error"

    def __init__(self, backend: str, message: str) -> None:
        super().__init__(f"{backend}: {message}")
        self.backend = backend
        self.detail = message


class BackendUnavailable(BackendError):
    """Connection refused, DNS failure, 5xx, or rejected credentials."""

    code = "BACKEND_UNAVAILABLE"
    summary = "is unavailable"


class BackendThrottled(BackendUnavailable):
    """The backend asks for fewer requests (429), for `retry_after` seconds when it said how long;
    answered when waiting that long would pass the call's deadline, or the retries are spent."""

    summary = "asks the gateway to slow down"

    def __init__(self, backend: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(backend, message)
        self.retry_after = retry_after


class BackendTimeout(BackendError):
    """No answer within the backend's configured timeout."""

    code = "BACKEND_TIMEOUT"
    summary = "did not answer in time"


class MalformedPayload(BackendError):
    """The backend answered, but not in its documented shape."""

    code = "BACKEND_ERROR"
    summary = "answered in an unexpected form"


class RecordError(BackendError):
    """One record of a batch answer that the backend could not supply (an error in its place, or a
    record not in its documented shape). Adapters return it among the batch's records, keyed as the
    record would be (`key`), so it is reported for that key only while the other records stand."""

    def __init__(self, backend: str, key: str, message: str, error_id: str | None = None) -> None:
        super().__init__(backend, f"{key}: {message}")
        self.key = key
        self.error_id = error_id  # the backend's own id of the error, when it gives one (eBay's errorId)


class MalformedRecord(RecordError, MalformedPayload):
    """One record of a batch answer is not in its documented shape."""


class CartConflict(DomainError):
    """A write the cart store refused because another cart already holds the place (one active cart
    per customer)."""

    code = "CART_CONFLICT"


class ListConflict(DomainError):
    """A write the saved-list store refused because another list holds the place (the customer's
    default list, a list name, or a list slot: see adapters/mongo/lists.py)."""

    code = "LIST_CONFLICT"


class Unauthenticated(DomainError):
    """A customer token that is malformed, expired or not signed by the configured key."""

    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    """The caller's API key does not grant what the field or operation needs."""

    code = "FORBIDDEN"


class RateLimited(DomainError):
    """The API key's budget of requests or cost points is spent for now; `retry_after` in seconds."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooCostly(DomainError):
    """An operation whose static cost is above the per-operation maximum; refused before it runs."""

    code = "COST_LIMIT_EXCEEDED"


class PersistedQueryNotFound(DomainError):
    """A persisted-query hash the gateway does not know: the client sends the document with it."""

    code = "PERSISTED_QUERY_NOT_FOUND"


class DocumentNotTrusted(DomainError):
    """A key limited to a trusted-document list sent a document outside it."""

    code = "PERSISTED_QUERY_NOT_IN_LIST"


class ResyncRequired(DomainError):
    """A subscription resumed after an event the log no longer keeps: the client reads the current
    state and subscribes again from now."""

    code = "RESYNC_REQUIRED"
