"""Token verification with both configured algorithms, and the demo token command's tokens."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from domain.errors import Unauthenticated
from gateway.identity import customer_from_header, issue_token, verification_key
from gateway.settings import AuthSettings, SettingsError, load_settings


def test_an_issued_token_names_its_customer():
    auth = AuthSettings()
    token = issue_token("c-42", auth, ttl_seconds=60)
    found = customer_from_header(f"Bearer {token}", auth, verification_key(auth))
    assert found is not None and (found.customer_id, found.email) == ("c-42", None)


@pytest.mark.parametrize(("claims", "email"), [
    ({"email": "Ada@Example.com", "email_verified": True}, "Ada@Example.com"),
    ({"email": "ada@example.com"}, None),                           # not verified: not trusted
    ({"email": "ada@example.com", "email_verified": "true"}, None),  # only the JSON boolean counts
    ({"email": "x" * 300 + "@example.com", "email_verified": True}, None),
])
def test_only_a_verified_email_claim_names_the_customer(claims, email):
    auth = AuthSettings()
    token = jwt.encode({"sub": "c-1", "exp": int(time.time()) + 60, **claims}, auth.jwt_secret, algorithm="HS256")
    found = customer_from_header(f"Bearer {token}", auth, verification_key(auth))
    assert found is not None and found.email == email


def test_rs256_tokens_are_checked_with_the_public_key(tmp_path):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "idp.pem").write_bytes(pem)
    auth = AuthSettings(jwt_algorithm="RS256", jwt_public_key_file=str(tmp_path / "idp.pem"), jwt_issuer="idp")
    key = verification_key(auth)
    good = jwt.encode({"sub": "c-7", "exp": int(time.time()) + 60, "iss": "idp"}, private, algorithm="RS256")
    forged = jwt.encode({"sub": "c-7", "exp": int(time.time()) + 60, "iss": "idp"}, "x" * 32, algorithm="HS256")
    wrong_issuer = jwt.encode({"sub": "c-7", "exp": int(time.time()) + 60, "iss": "evil"}, private,
                              algorithm="RS256")
    found = customer_from_header(f"Bearer {good}", auth, key)
    assert found is not None and found.customer_id == "c-7"
    for token in (forged, wrong_issuer):
        with pytest.raises(Unauthenticated):
            customer_from_header(f"Bearer {token}", auth, key)


def test_tokens_are_only_issued_for_the_shared_secret():
    with pytest.raises(ValueError, match="HS256"):
        issue_token("c", AuthSettings(jwt_algorithm="RS256", jwt_public_key_file="/dev/null"), 60)


@pytest.mark.parametrize(("env", "says"), [
    ({"CGW_AUTH__JWT_SECRET": "short"}, "auth.jwt_secret: at least 32 bytes"),
    ({"CGW_AUTH__JWT_ALGORITHM": "RS256"}, "auth.jwt_public_key_file: required"),
    ({"CGW_AUTH__JWT_ALGORITHM": "RS256", "CGW_AUTH__JWT_PUBLIC_KEY_FILE": "/no/such.pem"}, "does not exist"),
    ({"CGW_CARTS__MAX_LINES": "0"}, "carts.max_lines"),
])
def test_bad_auth_and_cart_settings_stop_start_up(env, says):
    with pytest.raises(SettingsError, match=says.replace("`", "")):
        load_settings("/dev/null", env)
