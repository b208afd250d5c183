"""The cart's rules as pure functions of the cart: no store, no backend, no clock but the one given."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.carts import (
    APPLIED_KEPT,
    AppliedChange,
    Cart,
    CartLine,
    CartRules,
    CartStatus,
    LineChange,
    MergeStrategy,
    NewLine,
    UserError,
)
from domain.records import Attribute

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RULES = CartRules(max_lines=3, max_quantity=10, note_max_length=20)
GIFT = (Attribute("gift", "yes"),)


def cart(*lines: tuple[str, int], customer: str | None = None) -> Cart:
    empty = Cart.new("c1", "WEB", customer, NOW, RULES)
    added = empty.with_lines([new(n, sku, q) for n, (sku, q) in enumerate(lines)], RULES, ("lines",))
    assert not isinstance(added, list), added
    return added[0]


def new(index: int, sku: str, quantity: int, attributes: tuple[Attribute, ...] = ()) -> NewLine:
    return NewLine(index, sku, quantity, Decimal("20.00"), "EUR", attributes)


def quantities(c: Cart) -> dict[tuple[str, tuple[Attribute, ...]], int]:
    return {(line.sku, line.attributes): line.quantity for line in c.lines}


def test_lines_of_one_variant_and_attributes_are_summed_into_one():
    added = cart(("A", 1)).with_lines([new(0, "A", 2), new(1, "A", 1, GIFT), new(2, "B", 1)], RULES, ("lines",))
    assert not isinstance(added, list)
    changed, touched = added
    assert quantities(changed) == {("A", ()): 3, ("A", GIFT): 1, ("B", ()): 1}
    assert [line.line_id for line in changed.lines] == ["1", "2", "3"] and changed.next_line_number == 4
    assert touched == {"1": 0, "2": 1, "3": 2}


@pytest.mark.parametrize("quantity", [0, -1, 11])
def test_a_quantity_outside_the_limits_is_refused_where_it_was_asked(quantity):
    assert cart().with_lines([new(0, "A", 1), new(1, "B", quantity)], RULES, ("lines",)) == [
        UserError("INVALID_QUANTITY", f"quantity must be between 1 and 10, got {quantity}", ("lines", 1, "quantity"))]


def test_a_sum_over_the_limit_is_refused_though_each_part_is_within():
    assert [e.code for e in cart(("A", 6)).with_lines([new(0, "A", 5)], RULES, ("lines",))] == ["INVALID_QUANTITY"]


def test_a_line_past_the_cart_limit_is_refused_and_nothing_changes():
    full = cart(("A", 1), ("B", 1), ("C", 1))
    assert [e.code for e in full.with_lines([new(0, "D", 1)], RULES, ("lines",))] == ["TOO_MANY_LINES"]
    assert not isinstance(full.with_lines([new(0, "A", 1)], RULES, ("lines",)), list)  # summing needs no new line


def test_line_changes_set_quantities_remove_at_zero_and_name_unknown_lines():
    c = cart(("A", 1), ("B", 2))
    changed = c.with_changes([LineChange(0, 0, quantity=4), LineChange(1, 1, quantity=0)], RULES)
    assert not isinstance(changed, list)
    assert quantities(changed[0]) == {("A", ()): 4}
    assert c.with_changes([LineChange(0, None, quantity=1), LineChange(1, 0, quantity=11)], RULES) == [
        UserError("LINE_NOT_FOUND", "no such line in this cart", ("lines", 0, "id")),
        UserError("INVALID_QUANTITY", "quantity must be between 1 and 10, got 11", ("lines", 1, "quantity"))]
    regifted = c.with_changes([LineChange(0, 1, attributes=GIFT)], RULES)
    assert not isinstance(regifted, list) and quantities(regifted[0]) == {("A", ()): 1, ("B", GIFT): 2}


def test_removing_lines_needs_every_line_to_be_there():
    c = cart(("A", 1), ("B", 2))
    assert [e.field for e in c.without_lines([0, None])] == [("lineIds", 1)]  # type: ignore[union-attr]
    assert quantities(c.without_lines([0])) == {("B", ()): 2}  # type: ignore[arg-type]


def test_a_note_has_a_length_limit_and_an_empty_one_clears_it():
    assert [e.code for e in cart().with_note("x" * 21, RULES)] == ["INVALID_NOTE"]  # type: ignore[union-attr]
    assert cart().with_note("x" * 20, RULES).note == "x" * 20  # type: ignore[union-attr]
    assert cart().with_note("", RULES).note is None  # type: ignore[union-attr]


def test_stock_is_checked_for_the_lines_a_change_touched_only():
    c = cart(("A", 4), ("B", 3))
    assert c.stock_errors({"A": 3, "B": 1}, {"1": 0}) == [
        UserError("INSUFFICIENT_STOCK", "only 3 of A available, 4 asked", ("lines", 0, "quantity"), available=3)]
    # a caller who may not read stock learns neither the quantity nor the figure
    assert c.stock_errors({"A": 3}, {"1": 0}, show_quantity=False) == [
        UserError("INSUFFICIENT_STOCK", "not enough of A available, 4 asked", ("lines", 0, "quantity"))]


def test_a_sign_in_merge_sums_caps_by_stock_and_says_what_it_left():
    theirs = cart(("A", 2), ("B", 1), customer="ana")
    guest = dataclasses.replace(cart(("A", 3), ("C", 1), ("D", 1)), cart_id="guest")
    merged, warnings = theirs.merged_with(guest, {"A": 4, "C": None, "D": 5}, RULES)
    assert quantities(merged) == {("A", ()): 4, ("B", ()): 1, ("D", ()): 1}
    assert [w.code for w in warnings] == ["QUANTITY_CAPPED", "ITEM_UNAVAILABLE"]
    assert merged.absorbed == ("guest",)
    # a second merge of the same guest cart (a retried sign-in) adds nothing
    again, said = merged.merged_with(guest, {"A": 4, "C": None, "D": 5}, RULES)
    assert again == merged and said == []


def test_a_merge_into_a_full_cart_keeps_what_fits_and_warns():
    theirs = cart(("A", 1), ("B", 1), ("C", 1), customer="ana")
    guest = dataclasses.replace(cart(("D", 1), ("A", 1)), cart_id="guest")
    merged, warnings = theirs.merged_with(guest, {"A": 9, "D": 9}, RULES)
    assert quantities(merged)[("A", ())] == 2 and ("D", ()) not in quantities(merged)
    assert [w.code for w in warnings] == ["TOO_MANY_LINES"]


def test_keep_guest_if_customer_empty_is_keep_guest_or_merge():
    strategy = MergeStrategy.KEEP_GUEST_IF_CUSTOMER_EMPTY
    assert strategy.between(cart(customer="ana")) is MergeStrategy.KEEP_GUEST
    assert strategy.between(cart(("A", 1), customer="ana")) is MergeStrategy.MERGE
    assert MergeStrategy.KEEP_CUSTOMER.between(cart()) is MergeStrategy.KEEP_CUSTOMER


def test_a_checkout_claim_holds_until_it_is_old_enough_to_be_a_dead_process():
    claimed = cart(("A", 1)).claimed_for_checkout(NOW, RULES)
    assert isinstance(claimed, Cart) and claimed.checkout_started_at == NOW
    assert [e.code for e in claimed.claimed_for_checkout(NOW + timedelta(seconds=120), RULES)] == [  # type: ignore[union-attr]
        "CHECKOUT_IN_PROGRESS"]
    later = NOW + timedelta(seconds=121)
    assert claimed.claimed_for_checkout(later, RULES).checkout_started_at == later  # type: ignore[union-attr]
    assert claimed.completed().status is CartStatus.COMPLETED and claimed.completed().checkout_started_at is None


def test_closed_carts_old_versions_and_carts_being_checked_out_take_no_change():
    c = cart(("A", 1))
    assert c.refusal(None, NOW, RULES) is None and c.refusal(c.version, NOW, RULES) is None
    assert c.refusal(c.version - 1, NOW, RULES).code == "VERSION_CONFLICT"  # type: ignore[union-attr]
    for closed in (c.merging_into(c), c.closed_into("other"), c.completed()):
        assert closed.refusal(None, NOW, RULES).code == "CART_CLOSED"  # type: ignore[union-attr]
    held = c.claimed_for_checkout(NOW, RULES)
    assert isinstance(held, Cart)
    refused = held.refusal(None, NOW + timedelta(seconds=60), RULES)
    assert refused is not None and refused.code == "CHECKOUT_IN_PROGRESS" and refused.retryable
    assert held.refusal(None, NOW, RULES, checking_out=True) is None  # the checkout's own changes land
    assert held.refusal(None, NOW + timedelta(seconds=RULES.claim_seconds + 1), RULES) is None  # its process died


def test_a_merge_is_left_for_the_next_sign_in_once_its_claim_time_has_passed():
    merging = cart(("A", 1)).merging_into(cart(customer="ana"))
    assert not merging.merge_left(NOW + timedelta(seconds=RULES.claim_seconds), RULES)
    assert merging.merge_left(NOW + timedelta(seconds=RULES.claim_seconds + 1), RULES)


def test_a_guest_cart_expires_a_while_after_its_last_change_and_a_customers_does_not():
    later = NOW + timedelta(days=2)
    assert cart().next_version(later, RULES).expires_at == later + timedelta(days=RULES.guest_cart_ttl_days)
    assert cart(customer="ana").next_version(later, RULES).expires_at is None


def test_a_cart_keeps_the_idempotency_records_of_its_latest_changes_of_the_last_day():
    c = cart()
    for n in range(APPLIED_KEPT + 5):
        c = c.recording(AppliedChange(f"k{n}", "f", NOW + timedelta(minutes=n)))
    assert len(c.applied) == APPLIED_KEPT and c.applied_change("k4") is None
    assert c.applied_change(f"k{APPLIED_KEPT + 4}") is not None
    a_day_later = c.recording(AppliedChange("late", "f", NOW + timedelta(days=1, hours=1)))
    assert [a.key for a in a_day_later.applied] == ["late"]  # the store has forgotten those keys too


def test_line_numbers_are_never_reused():
    c = cart(("A", 1), ("B", 1))
    removed = c.without_lines([1])
    assert isinstance(removed, Cart)
    added = removed.with_lines([new(0, "C", 1)], RULES, ("lines",))
    assert not isinstance(added, list) and [line.line_id for line in added[0].lines] == ["1", "3"]
    assert CartLine("3", "C", 1, Decimal("20.00"), "EUR") in added[0].lines
