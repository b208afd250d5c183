"""A customer is whoever a verified bearer token says; a bad token is UNAUTHENTICATED, no token a guest."""

from __future__ import annotations

import time

import jwt
import pytest

from gateway.settings import AuthSettings

QUERY = "{ channels { code } }"
SECRET = AuthSettings().jwt_secret


def bearer(claims: dict, key: str = SECRET) -> dict:
    return {"Authorization": f"Bearer {jwt.encode(claims, key, algorithm='HS256')}"}


def test_no_token_is_a_guest(gql):
    assert "errors" not in gql(QUERY)


def test_a_valid_token_is_accepted(gql):
    answer = gql(QUERY, headers=bearer({"sub": "customer-1", "exp": int(time.time()) + 60}))
    assert "errors" not in answer


@pytest.mark.parametrize(("headers", "says"), [
    ({"Authorization": "Bearer"}, "expected `Bearer <token>`"),
    ({"Authorization": "Basic dXNlcjpwYXNz"}, "expected `Bearer <token>`"),
    ({"Authorization": "Bearer not.a.jwt"}, "not valid"),
    (bearer({"sub": "c", "exp": int(time.time()) - 3600}), "expired"),
    (bearer({"sub": "c", "exp": int(time.time()) + 60}, key="another-secret-of-at-least-32-bytes!!"), "not signed"),
    (bearer({"sub": "c"}), "lacks the `exp` claim"),
    (bearer({"exp": int(time.time()) + 60}), "lacks the `sub` claim"),
])
def test_a_bad_token_is_unauthenticated_saying_why(gql, headers, says):
    answer = gql(QUERY, headers=headers)
    assert answer["data"] is None
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert says in error["message"]
