"""The rules that decide reminders, and what makes their messages trustworthy: the baseline moves so a
change is told once, the event id is stable, the unsubscribe token and the webhook signature cannot be
forged, the product's text cannot inject markup or headers, and bad settings are named."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from adapters.mail import compose
from adapters.webhooks import signature
from domain.reminders import Alert, AlertKind, AlertRules, Reading, WatchState, decide, event_id
from gateway.settings import SettingsError, load_settings
from resolvers.reminders.services import ReminderServices

RULES = AlertRules(low_stock_units=10, price_drop_min_percent=Decimal(5))
EUR = "EUR"


def state(stock: int | None, price: str | None = "100.00", version: int = 0) -> WatchState:
    return WatchState("cust-1", "SKU-1", stock, Decimal(price) if price else None, EUR, version)


def kinds(decisions) -> list[AlertKind]:
    return [d.kind for d in decisions]


def test_low_stock_is_told_once_when_the_stock_crosses_the_mark():
    # given an item saved with 20 units
    decisions, kept = decide(state(20), Reading(8, Decimal("100.00"), EUR), RULES)
    # then going to 8 is told, from 20 to 8
    assert [(d.kind, d.before, d.after) for d in decisions] == [(AlertKind.LOW_STOCK, "20", "8")]
    assert kept.stock == 8 and kept.version == 1
    # and going on to 5 is not told again, nor a new baseline (no write)
    again, kept_again = decide(kept, Reading(5, Decimal("100.00"), EUR), RULES)
    assert again == [] and kept_again is kept
    # until it is plenty again, and then low again
    plenty, kept = decide(kept, Reading(40, Decimal("100.00"), EUR), RULES)
    assert plenty == [] and kept.version == 2
    assert kinds(decide(kept, Reading(9, Decimal("100.00"), EUR), RULES)[0]) == [AlertKind.LOW_STOCK]


def test_back_in_stock_wins_over_low_stock_and_sold_out_is_not_low():
    assert kinds(decide(state(0), Reading(3, Decimal("100.00"), EUR), RULES)[0]) == [AlertKind.BACK_IN_STOCK]
    assert decide(state(20), Reading(0, Decimal("100.00"), EUR), RULES)[0] == []


def test_price_drops_below_the_minimum_are_not_told_and_the_told_price_is_the_baseline():
    # a 4 % drop is under the 5 % minimum
    small, kept = decide(state(50), Reading(50, Decimal("96.00"), EUR), RULES)
    assert small == [] and kept.price == Decimal("100.00")
    # a 10 % drop is told with both prices
    told, kept = decide(state(50), Reading(50, Decimal("90.00"), EUR), RULES)
    assert [(d.kind, d.before, d.after) for d in told] == [(AlertKind.PRICE_DROP, "100.00", "90.00")]
    # and the next drop is measured from the price told
    assert decide(kept, Reading(50, Decimal("88.00"), EUR), RULES)[0] == []


def test_a_price_in_another_currency_is_not_compared():
    decisions, kept = decide(state(50), Reading(50, Decimal("10.00"), "USD"), RULES)
    assert decisions == [] and (kept.price, kept.currency) == (Decimal("10.00"), "USD")


def test_nothing_changed_keeps_the_version():
    assert decide(state(50, version=3), Reading(50, Decimal("100.00"), EUR), RULES)[1].version == 3


def test_an_event_id_is_the_same_for_the_same_decision_and_differs_otherwise():
    assert event_id("c", AlertKind.LOW_STOCK, "S", 0) == event_id("c", AlertKind.LOW_STOCK, "S", 0)
    assert len({event_id("c", AlertKind.LOW_STOCK, "S", 0), event_id("c", AlertKind.LOW_STOCK, "S", 1),
                event_id("c", AlertKind.PRICE_DROP, "S", 0), event_id("d", AlertKind.LOW_STOCK, "S", 0)}) == 4


def test_unsubscribe_tokens_are_checked():
    services = ReminderServices(state=None, outbox=None, unsubscribe_secret="s" * 32)  # type: ignore[arg-type]
    token = services.unsubscribe_token("cust-ü/1")
    assert services.customer_of_token(token) == "cust-ü/1"
    other = ReminderServices(state=None, outbox=None, unsubscribe_secret="t" * 32)  # type: ignore[arg-type]
    forged_subject = other.unsubscribe_token("cust-2").split(".")[0] + "." + token.split(".")[1]
    for bad in (other.unsubscribe_token("cust-ü/1"), forged_subject, "", ".", "x.y", "%%%.%%%", "a" * 5000):
        assert services.customer_of_token(bad) is None


def alert(title: str) -> Alert:
    return Alert("e1", "cust-1", AlertKind.LOW_STOCK, "SKU-1", "WEB", title, f"{title}: only 2 left",
                 "https://shop.example.com/p/SKU-1?a=1&b=2", "20", "2", None, datetime(2026, 1, 2, tzinfo=UTC))


def test_the_products_text_is_escaped_in_the_html_and_cannot_add_headers():
    message = compose("shop@example.com", "ada@example.com", alert('<img src=x onerror="x">\r\nBcc: eve@evil'),
                      "https://gw.example.com/alerts/unsubscribe?token=t")
    html = message.get_body(("html",)).get_content()
    assert "<img" not in html and "&lt;img src=x onerror=&quot;x&quot;&gt;" in html
    assert "&amp;b=2" in html
    assert message["Bcc"] is None and "\n" not in message["Subject"]


def test_the_webhook_signature_follows_the_standard_webhooks_scheme():
    body = b'{"id":"e1"}'
    expected = base64.b64encode(hmac.new(b"k" * 24, b"e1.1700000000." + body, hashlib.sha256).digest()).decode()
    assert signature("k" * 24, "e1", 1700000000, body) == f"v1,{expected}"
    # a `whsec_` secret is the key its base64 stands for
    assert signature("whsec_" + base64.b64encode(b"k" * 24).decode(), "e1", 1700000000, body) == f"v1,{expected}"


@pytest.mark.parametrize(("environ", "says"), [
    ({"CGW_REMINDERS__LINKS__WEB": "https://shop.example.com/p/"}, "reminders.links.WEB: the template needs {sku}"),
    ({"CGW_REMINDERS__LINKS__NOWHERE": "https://x/{sku}"}, "reminders.links.NOWHERE: not a configured channel"),
    ({"CGW_REMINDERS__WEBHOOK_URL": "https://hooks.example.com/in"}, "reminders.webhook_secret: at least 16 bytes"),
    ({"CGW_REMINDERS__WEBHOOK_URL": "ftp://x", "CGW_REMINDERS__WEBHOOK_SECRET": "s" * 16}, "reminders.webhook_url"),
    ({"CGW_REMINDERS__DAILY_CAP": "-1"}, "reminders.daily_cap: must be 0 or more"),
    ({"CGW_SMTP__HOST": "mail", "CGW_SMTP__USERNAME": "u"}, "smtp.username and smtp.password: both or neither"),
    ({"CGW_SMTP__HOST": "mail", "CGW_SMTP__TLS": "yes"}, "smtp.tls: must be one of none, starttls, tls"),
    ({"CGW_SERVER__PRODUCTION": "true", "CGW_AUTH__JWT_SECRET": "p" * 40, "CGW_SMTP__HOST": "mail"},
     "reminders.unsubscribe_secret: the demo's published secret is refused"),
])
def test_bad_reminder_settings_are_named(environ, says):
    with pytest.raises(SettingsError, match="(?i)" + re.escape(says)):
        load_settings(environ={"CGW_CONFIG": "/dev/null", **environ})


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, {"poll_forever", "follow_forever"}),
    ({"CGW_CACHE__ANSWER_CACHE_BYTES": "0"}, set()),
    # the reminders follow the invalidation log: it is written even without shared answers to evict
    ({"CGW_CACHE__ANSWER_CACHE_BYTES": "0", "CGW_REMINDERS__EVERY_SECONDS": "5"}, {"poll_forever", "run_forever"}),
    # so do the partner webhooks, through the live events the poll publishes
    ({"CGW_CACHE__ANSWER_CACHE_BYTES": "0", "CGW_WEBHOOKS__EVERY_SECONDS": "1"}, {"poll_forever", "run_forever"}),
])
def test_the_poll_runs_for_the_reminders_even_without_the_answer_cache(environ, expected):
    from types import SimpleNamespace

    from gateway.app import _background

    settings = load_settings(environ={"CGW_CONFIG": "/dev/null", "CGW_CATALOG__MARKETPLACE_SWEEP_SECONDS": "0",
                                      "CGW_WEBHOOKS__EVERY_SECONDS": "0", **environ})
    built = SimpleNamespace(services=SimpleNamespace(fingerprints=None, stock_cache=None, reminders=object(),
                                                     recommendations=None, lists=None, live=None, holds=None,
                                                     webhooks=object(), events=object()), invalidations=None)
    shared = object() if settings.cache.answer_cache_bytes else None
    work = _background(settings, built, shared)  # type: ignore[arg-type]
    try:
        assert {w.__name__ for w in work} == expected
    finally:
        for coroutine in work:
            coroutine.close()


def test_without_the_poll_subscriptions_and_webhooks_are_warned_to_hear_no_erp_change(caplog):
    from types import SimpleNamespace

    from gateway.app import _background

    settings = load_settings(environ={"CGW_CONFIG": "/dev/null", "CGW_CATALOG__MARKETPLACE_SWEEP_SECONDS": "0",
                                      "CGW_CACHE__INVALIDATION_POLL_SECONDS": "0", "CGW_WEBHOOKS__EVERY_SECONDS": "1"})
    built = SimpleNamespace(services=SimpleNamespace(fingerprints=None, stock_cache=None, reminders=None,
                                                     recommendations=None, lists=None, live=None, holds=None,
                                                     webhooks=object(), events=object()), invalidations=None)
    work = _background(settings, built, None)  # type: ignore[arg-type]
    try:
        assert "poll_forever" not in {w.__name__ for w in work}
        assert any("never of the ERP's stock, price or product changes" in r.message for r in caplog.records)
    finally:
        for coroutine in work:
            coroutine.close()
