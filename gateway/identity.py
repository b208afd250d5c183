"""Who the customer is: the `sub` of a verified bearer JWT; no token means a guest.

HS256 with a shared secret or RS256 with the identity provider's public key, as
configured; `exp` is required and checked (with a little leeway for clock skew).
"""

from __future__ import annotations

import time
from pathlib import Path

import jwt

from domain.errors import Unauthenticated
from gateway.settings import AuthSettings

LEEWAY_SECONDS = 30


def verification_key(auth: AuthSettings) -> str:
    return auth.jwt_secret if auth.jwt_algorithm == "HS256" else Path(auth.jwt_public_key_file).read_text()


def customer_from_header(header: str | None, auth: AuthSettings, key: str) -> str | None:
    """The customer id, None for a guest; raises Unauthenticated saying what is wrong with the token."""
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
    return subject


def issue_token(customer_id: str, auth: AuthSettings, ttl_seconds: int) -> str:
    """A token for the configured HS256 secret (the demo's key); RS256 tokens come from the identity provider."""
    if auth.jwt_algorithm != "HS256":
        raise ValueError("tokens can only be issued for auth.jwt_algorithm = HS256; "
                         "with RS256 the identity provider holds the private key")
    now = int(time.time())
    claims = {"sub": customer_id, "iat": now, "exp": now + ttl_seconds}
    if auth.jwt_issuer:
        claims["iss"] = auth.jwt_issuer
    if auth.jwt_audience:
        claims["aud"] = auth.jwt_audience
    return jwt.encode(claims, auth.jwt_secret, algorithm="HS256")
