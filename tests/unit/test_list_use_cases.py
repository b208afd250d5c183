"""Saved-list use cases over memory stores: moves between cart and list that lose nothing when a
write fails or a process dies, sign-in merges, the list rules. No MongoDB, no HTTP."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.api_keys import Scope
from domain.carts import Cart
from domain.errors import BackendUnavailable
from domain.lists import DEFAULT_LIST_NAME, ListRules, ListStatus, NewItem, PendingMove, SavedList, free_slot
from resolvers import global_ids
from resolvers.carts.changes import LineRequest, create_cart
from resolvers.carts.ids import cart_ref, line_global_id
from resolvers.carts.unit_of_work import CartUnitOfWork
from resolvers.lists import changes, moves, sign_in
from resolvers.lists.ids import item_global_id, list_ref
from resolvers.lists.unit_of_work import ListUnitOfWork
from tests.unit.list_fakes import ListWorld

JACKET, LARGE, SCARF = (global_ids.encode("Variant", sku) for sku in ("JACKET-M", "JACKET-L", "SCARF"))
RULES = ListRules()
AT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def shop() -> ListWorld:
    return ListWorld()


def uow(shop: ListWorld, customer: str | None = "ana") -> ListUnitOfWork:
    ctx = shop.context(customer)
    ctx.scopes = frozenset({Scope.STOCK_READ, Scope.LISTS_WRITE, Scope.CART_WRITE})
    return ListUnitOfWork(ctx)


async def cart_of(shop: ListWorld, *lines: tuple[str, int], customer: str | None = "ana") -> Cart:
    made = await create_cart(CartUnitOfWork(shop.context(customer)), [LineRequest(m, q) for m, q in lines], None, ())
    assert made.cart is not None, made
    return made.cart


def skus(saved: SavedList | None) -> list[str]:
    assert saved is not None
    return [i.sku for i in saved.items]


def lines_of(cart: Cart | None) -> dict[str, int]:
    assert cart is not None
    return {line.sku: line.quantity for line in cart.lines}


async def test_an_item_keeps_the_channels_price_and_stock_when_saved(shop):
    saved = await changes.default_list(uow(shop), "ana")
    outcome = await changes.add_items(uow(shop), list_ref(saved.list_id), [JACKET], None)
    (item,) = outcome.saved_list.items
    assert (item.sku, item.channel, item.price_when_saved, item.currency, item.stock_when_saved) == (
        "JACKET-M", "WEB", Decimal("20.00"), "EUR", 5)
    # a caller who may not read stock saves no stock figure
    blind = ListUnitOfWork(shop.context("ana"))
    outcome = await changes.add_items(blind, list_ref(saved.list_id), [LARGE], None)
    assert outcome.saved_list.items[1].stock_when_saved is None


async def test_save_for_later_loses_nothing_when_the_cart_write_fails_and_a_retry_finishes(shop):
    cart = await cart_of(shop, (JACKET, 1), (LARGE, 2))
    line = line_global_id(cart, cart.lines[1].line_id)

    async def fail_cart(written: Cart) -> None:
        raise BackendUnavailable("mongodb", "down")

    # when the list gains the line but the cart's write fails
    shop.carts.before_write = fail_cart
    with pytest.raises(BackendUnavailable):
        await moves.save_for_later(uow(shop), cart_ref(cart.cart_id), [line], None, None)
    # then the line is in both, lost from neither
    shop.carts.before_write = None
    (default,) = await shop.saved.of_customer("ana")
    assert skus(default) == ["JACKET-L"] and lines_of(shop.carts.carts[cart.cart_id]) == {"JACKET-M": 1,
                                                                                           "JACKET-L": 2}
    # and the retry moves it, without saving it twice
    outcome = await moves.save_for_later(uow(shop), cart_ref(cart.cart_id), [line], None, None)
    assert outcome.user_errors == () and skus(outcome.saved_list) == ["JACKET-L"]
    assert lines_of(outcome.cart) == {"JACKET-M": 1}


async def test_a_guest_saves_for_later_into_a_guest_list(shop):
    cart = await cart_of(shop, (JACKET, 1), customer=None)
    outcome = await moves.save_for_later(uow(shop, None), cart_ref(cart.cart_id),
                                         [line_global_id(cart, cart.lines[0].line_id)], None, None)
    assert outcome.saved_list is not None and outcome.saved_list.customer_id is None
    assert outcome.saved_list.name == DEFAULT_LIST_NAME and skus(outcome.saved_list) == ["JACKET-M"]
    assert lines_of(outcome.cart) == {}


async def saved_with(shop: ListWorld, *merchandise: str) -> SavedList:
    saved = await changes.default_list(uow(shop), "ana")
    outcome = await changes.add_items(uow(shop), list_ref(saved.list_id), list(merchandise), None)
    assert outcome.saved_list is not None
    return outcome.saved_list


async def test_a_move_the_cart_refuses_lifts_the_mark_and_moves_nothing(shop):
    cart = await cart_of(shop, (LARGE, 2))  # all there is of JACKET-L
    saved = await saved_with(shop, LARGE)
    outcome = await moves.move_to_cart(uow(shop), list_ref(saved.list_id),
                                       [item_global_id(saved.list_id, saved.items[0].item_id)],
                                       cart_ref(cart.cart_id), None)
    assert [e.code for e in outcome.user_errors] == ["INSUFFICIENT_STOCK"]
    stored = shop.saved.lists[saved.list_id]
    assert stored.moving is None and skus(stored) == ["JACKET-L"]
    assert lines_of(shop.carts.carts[cart.cart_id]) == {"JACKET-L": 2}


@pytest.mark.parametrize("cart_took_it", [False, True])
async def test_a_move_left_by_a_dead_process_is_settled_by_the_next_read(shop, cart_took_it):
    cart = await cart_of(shop, (JACKET, 1))
    saved = await saved_with(shop, LARGE)
    # given the list marked by a process that died (before or after the cart took the item in)
    move = PendingMove("move-1", cart.cart_id, (saved.items[0].item_id,), shop.clock())
    shop.saved.lists[saved.list_id] = dataclasses.replace(saved, moving=move, version=saved.version + 1)
    if cart_took_it:
        shop.carts.carts[cart.cart_id] = dataclasses.replace(cart, absorbed=("move-1",), version=cart.version + 1)
    # when it is read at once, it is still taken to be moving; after the claim time, it is settled
    busy = await changes.add_items(uow(shop), list_ref(saved.list_id), [JACKET], None)
    assert [e.code for e in busy.user_errors] == ["VERSION_CONFLICT"]
    shop.clock.advance(seconds=RULES.claim_seconds + 1)
    settled = await ListUnitOfWork(shop.context("ana")).read(saved.list_id)
    # then the item is in exactly one place
    assert settled is not None and settled.moving is None
    assert skus(settled) == ([] if cart_took_it else ["JACKET-L"])


async def test_a_move_whose_last_list_write_failed_is_settled_without_a_duplicate(shop):
    cart = await cart_of(shop, (JACKET, 1))
    saved = await saved_with(shop, LARGE)

    async def fail_unmark(written: SavedList) -> None:
        if written.moving is None:
            raise BackendUnavailable("mongodb", "down")

    shop.saved.before_write = fail_unmark
    with pytest.raises(BackendUnavailable):
        await moves.move_to_cart(uow(shop), list_ref(saved.list_id),
                                 [item_global_id(saved.list_id, saved.items[0].item_id)], cart_ref(cart.cart_id), None)
    shop.saved.before_write = None
    assert lines_of(shop.carts.carts[cart.cart_id]) == {"JACKET-M": 1, "JACKET-L": 1}
    shop.clock.advance(seconds=RULES.claim_seconds + 1)
    settled = await ListUnitOfWork(shop.context("ana")).read(saved.list_id)
    assert settled is not None and skus(settled) == []


async def test_when_the_write_into_the_default_list_fails_the_guest_list_stays_a_guests(shop):
    theirs = await saved_with(shop, JACKET)
    guest = (await changes.create_list(uow(shop, None), "Ideas")).saved_list
    guest = (await changes.add_items(uow(shop, None), list_ref(guest.list_id), [LARGE, JACKET], None)).saved_list

    async def fail_theirs(written: SavedList) -> None:
        if written.list_id == theirs.list_id:
            raise BackendUnavailable("mongodb", "down")

    shop.saved.before_write = fail_theirs
    with pytest.raises(BackendUnavailable):
        await sign_in.attach_list(uow(shop), list_ref(guest.list_id), None)
    reopened = shop.saved.lists[guest.list_id]
    assert reopened.status is ListStatus.ACTIVE and reopened.customer_id is None
    shop.saved.before_write = None
    merged = await sign_in.attach_list(uow(shop), list_ref(guest.list_id), None)
    assert skus(merged.saved_list) == ["JACKET-M", "JACKET-L"]
    assert shop.saved.lists[guest.list_id].status is ListStatus.MERGED


async def test_a_merge_left_by_a_dead_process_is_finished_by_signing_in_again(shop):
    theirs = await saved_with(shop, JACKET)
    guest = (await changes.create_list(uow(shop, None), "Ideas")).saved_list
    guest = (await changes.add_items(uow(shop, None), list_ref(guest.list_id), [LARGE], None)).saved_list
    shop.saved.lists[guest.list_id] = dataclasses.replace(guest.merging_into(theirs, "ana"), version=guest.version + 1)
    assert [e.code for e in (await sign_in.attach_list(uow(shop), list_ref(guest.list_id), None)).user_errors] == [
        "VERSION_CONFLICT"]
    shop.clock.advance(seconds=RULES.claim_seconds + 1)
    merged = await sign_in.attach_list(uow(shop), list_ref(guest.list_id), None)
    assert skus(merged.saved_list) == ["JACKET-M", "JACKET-L"]
    assert shop.saved.lists[guest.list_id].status is ListStatus.MERGED


# ---- the list rules


def test_names_are_normalized_and_bounded():
    assert RULES.cleaned_name("  Cafe\u0301  ") == "Café"
    for bad in ("", " \t", "x" * 101, "a\nb", "a\u202eb", "a\ue000"):
        assert getattr(RULES.cleaned_name(bad), "code", None) == "INVALID_NAME", bad


def test_a_sku_is_saved_once_and_the_limit_holds():
    at = AT
    empty = SavedList.new("l", "x", "ana", at, RULES)
    added, warnings = empty.with_items([NewItem(0, "A", "WEB"), NewItem(1, "A", "WEB"), NewItem(2, "B", "WEB")],
                                       RULES, at)
    assert [i.sku for i in added.items] == ["A", "B"] and [w.code for w in warnings] == ["ALREADY_SAVED"]
    small = ListRules(max_items=2)
    refused = added.with_items([NewItem(0, "C", "WEB")], small, at)
    assert isinstance(refused, list) and refused[0].code == "TOO_MANY_ITEMS"
    again, _ = added.with_items([NewItem(0, "A", "WEB")], small, at)  # nothing new: within the limit
    assert again.items == added.items


def test_a_guest_list_taken_in_once_adds_nothing_again():
    at = AT
    theirs, _ = SavedList.new("t", DEFAULT_LIST_NAME, "ana", at, RULES).with_items([NewItem(0, "A", "WEB")], RULES, at)
    guest, _ = SavedList.new("g", "Ideas", None, at, RULES).with_items([NewItem(0, "A", "WEB"),
                                                                         NewItem(1, "B", "WEB")], RULES, at)
    merged, _ = theirs.merged_with(guest, RULES)
    assert [i.sku for i in merged.items] == ["A", "B"]
    removed = merged.without_items([merged.items[1].item_id])
    assert removed.merged_with(guest, RULES) == (removed, [])


def test_a_customer_has_max_lists_places_the_default_one_included():
    at = AT
    rules = ListRules(max_lists=3)
    lists = [SavedList.new("d", DEFAULT_LIST_NAME, "ana", at, rules, default=True, slot=0)]
    assert free_slot(lists, rules) == 1
    lists += [SavedList.new("a", "A", "ana", at, rules, slot=1), SavedList.new("b", "B", "ana", at, rules, slot=2)]
    assert free_slot(lists, rules) is None
