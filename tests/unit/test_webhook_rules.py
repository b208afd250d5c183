"""The partner webhook rules without I/O: which endpoint URLs are taken, which target addresses are
refused, the backoff, and the `[webhooks]` settings refused with one line naming the setting."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from domain.reminders import AlertRules
from domain.webhooks import WebhookRules, forbidden_address, url_problem
from gateway.settings import SettingsError, load_settings


@pytest.mark.parametrize(("url", "allow_http", "problem"), [
    ("https://partner.example.com/hooks?x=1", False, None),
    ("http://partner.example.com/hooks", True, None),
    ("http://partner.example.com/hooks", False,
     "the URL must be https (http needs the gateway's webhooks.allow_http)"),
    ("javascript:alert(1)", True, "the URL must be https or http"),
    ("https://a:b@partner.example.com/", False, "a URL carries no credentials (the signature authenticates the gateway)"),
    ("https://partner.example.com:99999/", False, "not a URL"),
    ("https://partner.example.com/#frag", False, "a URL has no fragment"),
    ("https://partner.example.com/\nx", False, "a URL has no spaces or control characters"),
    ("https://" + "a" * 2_000 + ".example.com/", False, "a URL has at most 2000 characters"),
])
def test_endpoint_urls(url, allow_http, problem):
    assert url_problem(url, allow_http) == problem


@pytest.mark.parametrize(("address", "refused"), [
    ("93.184.215.14", False), ("2606:4700::1111", False),
    ("127.0.0.1", True), ("10.1.2.3", True), ("172.16.0.1", True), ("192.168.1.1", True),
    ("169.254.169.254", True), ("100.64.0.1", True), ("0.0.0.0", True), ("224.0.0.1", True),
    ("::1", True), ("fe80::1", True), ("fd00:ec2::254", True), ("::ffff:10.0.0.1", True),
])
def test_target_addresses(address, refused):
    assert forbidden_address(address) is refused


def test_backoff_doubles_up_to_its_most():
    rules = WebhookRules(backoff_base=timedelta(seconds=30), backoff_max=timedelta(minutes=2))
    assert [rules.retry_after(n).total_seconds() for n in (1, 2, 3, 4, 9)] == [30, 60, 120, 120, 120]


def test_a_long_run_of_failures_waits_the_most_instead_of_overflowing():
    # webhooks.max_attempts and reminders.max_attempts have no upper bound: attempt 60 must still be answered
    webhooks = WebhookRules(backoff_base=timedelta(seconds=30), backoff_max=timedelta(hours=1))
    reminders = AlertRules(retry_base=timedelta(seconds=60), retry_max=timedelta(hours=1))
    assert webhooks.retry_after(60) == reminders.retry_after(60) == timedelta(hours=1)
    assert webhooks.retry_after(10_000) == timedelta(hours=1)


@pytest.mark.parametrize(("environ", "message"), [
    ({"CGW_WEBHOOKS__MAX_ATTEMPTS": "0"}, "webhooks.max_attempts: must be at least 1"),
    ({"CGW_WEBHOOKS__TIMEOUT_SECONDS": "0"}, "webhooks.timeout_seconds: must be within (0, 60]"),
    ({"CGW_WEBHOOKS__EVERY_SECONDS": "-1"}, "webhooks.every_seconds: must be 0 (no worker in this process) or more"),
    ({"CGW_SERVER__PRODUCTION": "true", "CGW_WEBHOOKS__ALLOW_PRIVATE_TARGETS": "true"},
     "webhooks.allow_private_targets: refused with server.production = true (partners could make the gateway call "
     "its own network)"),
])
def test_bad_settings_are_refused_naming_the_setting(environ, message):
    with pytest.raises(SettingsError) as refused:
        load_settings(environ={"CGW_CONFIG": os.devnull, **environ})
    assert str(refused.value) == message
