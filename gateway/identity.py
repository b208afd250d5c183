"""Who the customer is: the `sub` of a verified bearer JWT; no token means a guest.

HS256 with a shared secret or RS256 with the identity provider's public key, as
configured; `exp` is required and checked (with a little leeway for clock skew). The token's
`email` counts only with `email_verified: true` (OpenID Connect's standard claims): it is what
the customer's records in the backends are matched by, and an address nobody verified would
let anyone claim another's profile and orders.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import jwt

from domain.errors import Unauthenticated
from gateway.settings import AuthSettings

LEEWAY_SECONDS = 30
MAX_EMAIL_LENGTH = 254


@dataclass(frozen=True, slots=True)
class CustomerIdentity:
    customer_id: str         # the token's `sub`: the gateway's customer id
    email: str | None = None  # the verified e-mail address, when the token carries one


def verification_key(auth: AuthSettings) -> str:
    return auth.jwt_secret if auth.jwt_algorithm == "HS256" else Path(auth.jwt_public_key_file).read_text()


def customer_from_header(header: str | None, auth: AuthSettings, key: str) -> CustomerIdentity | None:
    """The customer, None for a guest; raises Unauthenticated saying what is wrong with the token."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization: expected `Bearer <token>`")
    try:
        claims = jwt.decode(token.strip(), key, algorithms=[auth.jwt_algorithm], leeway=LEEWAY_SECONDS,
                            issuer=auth.jwt_issuer or None, audience=auth.jwt_audience or None,
                            options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the customer token has expired") from None
    except jwt.InvalidSignatureError:
        raise Unauthenticated("the customer token is not signed by this gateway's key") from None
    except jwt.MissingRequiredClaimError as exc:
        raise Unauthenticated(f"the customer token lacks the `{exc.claim}` claim") from None
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(f"the customer token is not valid ({exc})") from None
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise Unauthenticated("the customer token's `sub` is empty")
    return CustomerIdentity(subject, _verified_email(claims))


def _verified_email(claims: dict) -> str | None:
    email = claims.get("email")
    if claims.get("email_verified") is not True or not isinstance(email, str):
        return None
    email = email.strip()
    return email if 0 < len(email) <= MAX_EMAIL_LENGTH and "@" in email else None


def issue_token(customer_id: str, auth: AuthSettings, ttl_seconds: int, email: str | None = None) -> str:
    """A token for the configured HS256 secret (the demo's key); RS256 tokens come from the identity provider."""
    if auth.jwt_algorithm != "HS256":
        raise ValueError("tokens can only be issued for auth.jwt_algorithm = HS256; "
                         "with RS256 the identity provider holds the private key")
    now = int(time.time())
    claims: dict[str, object] = {"sub": customer_id, "iat": now, "exp": now + ttl_seconds}
    if email:
        claims |= {"email": email, "email_verified": True}  # the demo's customers are taken as verified
    if auth.jwt_issuer:
        claims["iss"] = auth.jwt_issuer
    if auth.jwt_audience:
        claims["aud"] = auth.jwt_audience
    return jwt.encode(claims, auth.jwt_secret, algorithm="HS256")
