"""Cart use cases over the unit of work and memory stores: idempotent replay across a crash, the
version check, sign-in merges that cannot lose lines, checkout claims. No MongoDB, no HTTP."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

import pytest

from domain.api_keys import ApiKey, KeyKind
from domain.carts import Cart, CartStatus, MergeStrategy
from domain.errors import BackendUnavailable
from resolvers import global_ids
from resolvers.carts import changes, checkout, idempotency, sign_in
from resolvers.carts.checkout import CheckoutRequest
from resolvers.carts.changes import LineRequest
from resolvers.carts.ids import cart_ref
from resolvers.carts.unit_of_work import CartUnitOfWork
from domain.records import Address, OrderDraft, OrderLine
from tests.unit.cart_fakes import CartWorld

JACKET, LARGE, SCARF = (global_ids.encode("Variant", sku) for sku in ("JACKET-M", "JACKET-L", "SCARF"))
SHIPPING = CheckoutRequest(email="ana@example.com", payment_reference="pay-1",
                           shipping_address=Address(street="Main 1", city="Berlin", zip="10115", country_code="DE"))


@pytest.fixture
def shop() -> CartWorld:
    return CartWorld()


def key(key_id: str) -> ApiKey:
    return ApiKey(key_id=key_id, name=key_id, kind=KeyKind.FRONTEND, channel=None, scopes=(), requests_per_minute=60,
                  cost_per_minute=1000, secret_sha256="", created_at=datetime.now(UTC))


async def new_cart(shop: CartWorld, *lines: tuple[str, int], customer: str | None = None) -> Cart:
    outcome = await changes.create_cart(CartUnitOfWork(shop.context(customer)),
                                        [LineRequest(m, q) for m, q in lines], None, ())
    assert outcome.user_errors == () and outcome.cart is not None, outcome
    return outcome.cart


def lines_of(cart: Cart | None) -> dict[str, int]:
    assert cart is not None
    return {line.sku: line.quantity for line in cart.lines}


async def add_once(shop: CartWorld, cart: Cart, request_key: str, quantity: int = 2):
    ctx = shop.context()
    arguments = (cart_ref(cart.cart_id), [LineRequest(JACKET, quantity)], None)
    return await idempotency.once(ctx, "cartLinesAdd", request_key, arguments,
                                  lambda uow: changes.add_lines(uow, cart_ref(cart.cart_id), arguments[1], None))


# ---- idempotency: the record travels with the cart write


async def test_an_add_whose_record_could_not_be_completed_is_not_applied_again(shop):
    cart = await new_cart(shop)
    # given an add that reached the cart, and an idempotency store that failed right after
    shop.idempotency.failing = {"complete"}
    with pytest.raises(BackendUnavailable):
        await add_once(shop, cart, "k1")
    shop.idempotency.failing = set()
    assert lines_of(shop.carts.carts[cart.cart_id]) == {"JACKET-M": 2}
    # when the client retries minutes later (the claim is taken over)
    shop.clock.advance(minutes=3)
    again = await add_once(shop, cart, "k1")
    # then it gets the cart, with the lines added once
    assert again.user_errors == () and lines_of(again.cart) == {"JACKET-M": 2}
    assert lines_of(shop.carts.carts[cart.cart_id]) == {"JACKET-M": 2}


async def test_a_repeat_replays_and_another_input_under_the_key_is_refused(shop):
    cart = await new_cart(shop)
    first = await add_once(shop, cart, "k1")
    writes = shop.carts.writes
    assert await add_once(shop, cart, "k1") == first and shop.carts.writes == writes
    assert [e.code for e in (await add_once(shop, cart, "k1", quantity=3)).user_errors] == ["IDEMPOTENCY_KEY_REUSED"]


async def test_keys_are_scoped_to_the_api_key(shop):
    def create(api_key: ApiKey):
        ctx = shop.context(api_key=api_key)
        return idempotency.once(ctx, "cartCreate", "same", ([], "note", ()),
                                lambda uow: changes.create_cart(uow, [], "note", ()))

    a, b = await create(key("a")), await create(key("b"))
    assert a.cart is not None and b.cart is not None and a.cart.cart_id != b.cart.cart_id


async def test_a_create_retried_after_a_crash_answers_with_the_cart_it_made(shop):
    ctx = shop.context()

    def create():
        return idempotency.once(ctx, "cartCreate", "k1", ([], None, ()),
                                lambda uow: changes.create_cart(uow, [LineRequest(JACKET, 1)], None, ()))

    shop.idempotency.failing = {"complete"}
    with pytest.raises(BackendUnavailable):
        await create()
    shop.idempotency.failing = set()
    shop.clock.advance(minutes=3)
    again = await create()
    assert again.cart is not None and list(shop.carts.carts) == [again.cart.cart_id]


async def test_a_create_that_failed_after_its_cart_was_written_is_answered_with_that_cart(shop):
    ctx = shop.context()

    def create():
        return idempotency.once(ctx, "cartCreate", "k1", ([], None, ()),
                                lambda uow: changes.create_cart(uow, [LineRequest(JACKET, 1)], None, ()))

    async def time_out(written: Cart) -> None:
        raise BackendUnavailable("mongodb", "timed out after the write was applied")

    shop.carts.after_write = time_out
    with pytest.raises(BackendUnavailable):
        await create()
    shop.carts.after_write = None
    again = await create()  # at once: the failed claim was given up, keeping the cart it chose
    assert again.cart is not None and list(shop.carts.carts) == [again.cart.cart_id]


async def test_an_answer_that_may_change_is_not_kept_for_the_key(shop):
    cart = await new_cart(shop, (JACKET, 1))
    held = await checkout._claim(CartUnitOfWork(shop.context()), cart)  # another tab's checkout runs
    assert isinstance(held, Cart)
    busy = await add_once(shop, cart, "k1")
    assert [e.code for e in busy.user_errors] == ["CHECKOUT_IN_PROGRESS"]
    await checkout._release(CartUnitOfWork(shop.context()), held)  # that checkout gave up
    assert lines_of((await add_once(shop, cart, "k1")).cart) == {"JACKET-M": 3}


# ---- the version check and concurrent writers


async def test_a_change_on_an_old_version_is_a_conflict_with_the_current_cart(shop):
    cart = await new_cart(shop, (JACKET, 1))
    uow = CartUnitOfWork(shop.context())
    await changes.add_lines(uow, cart_ref(cart.cart_id), [LineRequest(LARGE, 1)], None)
    stale = await changes.update_note(uow, cart_ref(cart.cart_id), "hi", cart.version)
    assert [e.code for e in stale.user_errors] == ["VERSION_CONFLICT"] and stale.cart.version == cart.version + 1  # type: ignore[union-attr]


async def test_concurrent_adds_are_all_kept(shop):
    cart = await new_cart(shop)
    first_write = asyncio.Event()

    async def interleave(written: Cart) -> None:
        if not first_write.is_set():  # the first writer waits until the second has read the same version
            first_write.set()
            await asyncio.sleep(0)

    shop.carts.before_write = interleave
    uow = CartUnitOfWork(shop.context())
    await asyncio.gather(changes.add_lines(uow, cart_ref(cart.cart_id), [LineRequest(JACKET, 1)], None),
                         changes.add_lines(uow, cart_ref(cart.cart_id), [LineRequest(LARGE, 1)], None))
    assert lines_of(shop.carts.carts[cart.cart_id]) == {"JACKET-M": 1, "JACKET-L": 1}
    assert shop.carts.refused >= 1  # the writers did collide, and the loser applied its change again


async def test_stock_and_unknown_merchandise_are_user_errors_and_write_nothing(shop):
    cart = await new_cart(shop)
    uow = CartUnitOfWork(shop.context())
    too_many = await changes.add_lines(uow, cart_ref(cart.cart_id), [LineRequest(LARGE, 3)], None)
    unknown = await changes.add_lines(uow, cart_ref(cart.cart_id), [LineRequest("not-an-id", 1)], None)
    assert [e.code for e in too_many.user_errors] == ["INSUFFICIENT_STOCK"]
    assert [e.code for e in unknown.user_errors] == ["UNKNOWN_MERCHANDISE"]
    assert shop.carts.carts[cart.cart_id] == cart


async def test_a_customers_cart_is_theirs_alone(shop):
    theirs = await new_cart(shop, (JACKET, 1), customer="ana")
    for who in (None, "bob"):
        outcome = await changes.add_lines(CartUnitOfWork(shop.context(who)), cart_ref(theirs.cart_id),
                                          [LineRequest(JACKET, 1)], None)
        assert [e.code for e in outcome.user_errors] == ["CART_NOT_FOUND"] and outcome.cart is None


# ---- sign-in


async def sign_in_as(shop: CartWorld, cart: Cart, customer: str):
    return await sign_in.attach_customer(CartUnitOfWork(shop.context(customer)), cart_ref(cart.cart_id), None)


async def test_merge_sums_the_guests_lines_into_the_customers_cart(shop):
    theirs = await new_cart(shop, (JACKET, 1), customer="ana")
    guest = await new_cart(shop, (JACKET, 1), (LARGE, 1))
    outcome = await sign_in_as(shop, guest, "ana")
    assert outcome.cart is not None and outcome.cart.cart_id == theirs.cart_id
    assert lines_of(outcome.cart) == {"JACKET-M": 2, "JACKET-L": 1}
    closed = shop.carts.carts[guest.cart_id]
    assert closed.status is CartStatus.MERGED and closed.merged_into == theirs.cart_id


async def test_when_the_write_into_the_customers_cart_fails_the_guest_cart_stays_a_guests(shop):
    theirs = await new_cart(shop, (JACKET, 1), customer="ana")
    guest = await new_cart(shop, (LARGE, 2))

    async def fail_theirs(written: Cart) -> None:
        if written.cart_id == theirs.cart_id:
            raise BackendUnavailable("mongodb", "down")

    shop.carts.before_write = fail_theirs
    with pytest.raises(BackendUnavailable):
        await sign_in_as(shop, guest, "ana")
    reopened = shop.carts.carts[guest.cart_id]
    assert reopened.status is CartStatus.ACTIVE and reopened.customer_id is None
    assert lines_of(reopened) == {"JACKET-L": 2}
    # and signing in again, with the store back, merges it
    shop.carts.before_write = None
    assert lines_of((await sign_in_as(shop, guest, "ana")).cart) == {"JACKET-M": 1, "JACKET-L": 2}


async def test_when_the_customers_cart_is_checked_out_meanwhile_the_guest_cart_becomes_theirs(shop):
    theirs = await new_cart(shop, (JACKET, 1), customer="ana")
    guest = await new_cart(shop, (LARGE, 2))

    async def check_out_theirs(written: Cart) -> None:
        if written.cart_id == guest.cart_id and written.status is CartStatus.MERGING:
            done = shop.carts.carts[theirs.cart_id].completed()
            shop.carts.carts[theirs.cart_id] = dataclasses.replace(done, version=done.version + 1)

    shop.carts.before_write = check_out_theirs
    outcome = await sign_in_as(shop, guest, "ana")
    assert outcome.user_errors == () and outcome.cart is not None and outcome.cart.cart_id == guest.cart_id
    assert outcome.cart.customer_id == "ana" and outcome.cart.status is CartStatus.ACTIVE
    assert lines_of(outcome.cart) == {"JACKET-L": 2}


@pytest.mark.parametrize("died_after_absorbing", [False, True])
async def test_a_merge_left_half_done_by_a_dead_process_is_finished_by_signing_in_again(shop, died_after_absorbing):
    theirs = await new_cart(shop, (JACKET, 1), customer="ana")
    guest = await new_cart(shop, (LARGE, 2))
    # given the guest cart marked MERGING (and perhaps taken in) by a process that then died
    merging = dataclasses.replace(guest.merging_into(theirs), customer_id="ana", version=guest.version + 1)
    shop.carts.carts[guest.cart_id] = merging
    if died_after_absorbing:
        absorbed, _ = theirs.merged_with(merging, {"JACKET-L": 2}, shop.rules)
        shop.carts.carts[theirs.cart_id] = dataclasses.replace(absorbed, version=theirs.version + 1)
    # when the customer signs in with it again: at once, it is still taken to be running; later, it is finished
    assert [e.code for e in (await sign_in_as(shop, guest, "ana")).user_errors] == ["VERSION_CONFLICT"]
    shop.clock.advance(seconds=shop.rules.claim_seconds + 1)
    outcome = await sign_in_as(shop, guest, "ana")
    # then the lines are in their cart once, and the guest cart is closed into it
    assert lines_of(outcome.cart) == {"JACKET-M": 1, "JACKET-L": 2}
    assert shop.carts.carts[guest.cart_id].status is CartStatus.MERGED


async def test_a_merging_guest_cart_takes_no_other_change(shop):
    theirs = await new_cart(shop, (JACKET, 1), customer="ana")
    guest = await new_cart(shop, (LARGE, 1))
    shop.carts.carts[guest.cart_id] = dataclasses.replace(guest.merging_into(theirs), version=guest.version + 1)
    outcome = await changes.add_lines(CartUnitOfWork(shop.context()), cart_ref(guest.cart_id),
                                      [LineRequest(JACKET, 1)], None)
    assert [e.code for e in outcome.user_errors] == ["CART_CLOSED"]


@pytest.mark.parametrize("strategy, survivor", [(MergeStrategy.KEEP_CUSTOMER, "theirs"),
                                                (MergeStrategy.KEEP_GUEST, "guest")])
async def test_keep_strategies_close_the_other_cart(shop, strategy, survivor):
    shop.rules = dataclasses.replace(shop.rules, merge_strategy=strategy)
    theirs = await new_cart(shop, (JACKET, 1), customer="ana")
    guest = await new_cart(shop, (LARGE, 1))
    outcome = await sign_in_as(shop, guest, "ana")
    kept, closed = (theirs, guest) if survivor == "theirs" else (guest, theirs)
    assert outcome.cart is not None and outcome.cart.cart_id == kept.cart_id and outcome.cart.customer_id == "ana"
    assert shop.carts.carts[closed.cart_id].status is CartStatus.MERGED


async def test_signing_in_again_with_a_merged_cart_answers_with_the_customers_cart(shop):
    theirs = await new_cart(shop, (JACKET, 1), customer="ana")
    guest = await new_cart(shop, (LARGE, 1))
    await sign_in_as(shop, guest, "ana")
    again = await sign_in_as(shop, guest, "ana")
    assert again.user_errors == () and again.cart is not None and again.cart.cart_id == theirs.cart_id
    assert lines_of(again.cart) == {"JACKET-M": 1, "JACKET-L": 1}
    other = await sign_in_as(shop, guest, "bob")
    assert [e.code for e in other.user_errors] == ["CART_NOT_FOUND"]


async def test_a_sign_in_into_a_cart_being_checked_out_leaves_both_as_they_were(shop):
    theirs = await new_cart(shop, (JACKET, 1), customer="ana")
    await checkout._claim(CartUnitOfWork(shop.context("ana")), theirs)
    guest = await new_cart(shop, (LARGE, 1))
    outcome = await sign_in_as(shop, guest, "ana")
    assert [e.code for e in outcome.user_errors] == ["CHECKOUT_IN_PROGRESS"]
    assert shop.carts.carts[guest.cart_id].status is CartStatus.ACTIVE
    assert lines_of(shop.carts.carts[theirs.cart_id]) == {"JACKET-M": 1}


# ---- checkout


async def test_two_checkouts_at_once_place_one_order(shop):
    cart = await new_cart(shop, (JACKET, 1))

    def check_out(request_key: str):
        ctx = shop.context()
        return idempotency.once(ctx, "cartCheckout", request_key, (cart.cart_id, SHIPPING),
                                lambda uow: checkout.checkout(uow, cart_ref(cart.cart_id), SHIPPING))

    first, second = await asyncio.gather(check_out("tab-1"), check_out("tab-2"))
    assert len(shop.erp.orders) == 1
    assert first.cart.status is second.cart.status is CartStatus.COMPLETED  # type: ignore[union-attr]


async def test_a_checkout_claim_left_by_a_dead_process_is_taken_over_after_it_expires(shop):
    cart = await new_cart(shop, (JACKET, 1))
    shop.carts.carts[cart.cart_id] = dataclasses.replace(cart, checkout_started_at=shop.clock(),
                                                         version=cart.version + 1)
    shop.clock.advance(seconds=shop.rules.claim_seconds + 1)
    done = await checkout.checkout(CartUnitOfWork(shop.context()), cart_ref(cart.cart_id), SHIPPING)
    assert done.user_errors == () and done.cart.status is CartStatus.COMPLETED and len(shop.erp.orders) == 1  # type: ignore[union-attr]


async def test_while_a_checkout_holds_the_cart_no_other_change_lands(shop):
    cart = await new_cart(shop, (JACKET, 1))
    added_meanwhile = []

    async def add_from_another_tab(written: Cart) -> None:
        if written.status is CartStatus.COMPLETED and not added_meanwhile:  # the claim is stored by then
            added_meanwhile.append(await changes.add_lines(CartUnitOfWork(shop.context()), cart_ref(cart.cart_id),
                                                           [LineRequest(LARGE, 1)], None))

    shop.carts.before_write = add_from_another_tab
    done = await checkout.checkout(CartUnitOfWork(shop.context()), cart_ref(cart.cart_id), SHIPPING)
    assert [e.code for e in added_meanwhile[0].user_errors] == ["CHECKOUT_IN_PROGRESS"]
    assert lines_of(done.cart) == {"JACKET-M": 1} == {l.sku: l.quantity for l in shop.erp.orders[0].lines}


async def test_an_order_refused_by_the_erp_gives_the_claim_up(shop):
    cart = await new_cart(shop, (JACKET, 1))
    shop.erp.order_failure = "before"
    with pytest.raises(BackendUnavailable):
        await checkout.checkout(CartUnitOfWork(shop.context()), cart_ref(cart.cart_id), SHIPPING)
    assert shop.carts.carts[cart.cart_id].checkout_started_at is None and shop.erp.orders == []


async def test_an_order_made_though_its_call_failed_completes_the_cart(shop):
    cart = await new_cart(shop, (JACKET, 1))
    shop.erp.order_failure = "after"
    with pytest.raises(BackendUnavailable):
        await checkout.checkout(CartUnitOfWork(shop.context()), cart_ref(cart.cart_id), SHIPPING)
    assert shop.carts.carts[cart.cart_id].status is CartStatus.COMPLETED and len(shop.erp.orders) == 1


async def test_when_the_erp_cannot_say_whether_it_has_the_order_the_cart_stays_held(shop):
    cart = await new_cart(shop, (JACKET, 1))
    shop.erp.fail()
    with pytest.raises(BackendUnavailable):
        await checkout.checkout(CartUnitOfWork(shop.context()), cart_ref(cart.cart_id), SHIPPING)
    held = await changes.add_lines(CartUnitOfWork(shop.context()), cart_ref(cart.cart_id), [LineRequest(LARGE, 1)],
                                   None)
    assert [e.code for e in held.user_errors] == ["CHECKOUT_IN_PROGRESS"]
    # once the claim has expired and the ERP is back, a checkout places the one order
    shop.erp.failure = None
    shop.clock.advance(seconds=shop.rules.claim_seconds + 1)
    done = await checkout.checkout(CartUnitOfWork(shop.context()), cart_ref(cart.cart_id), SHIPPING)
    assert done.cart.status is CartStatus.COMPLETED and len(shop.erp.orders) == 1  # type: ignore[union-attr]


async def test_an_order_found_for_other_lines_is_not_taken_for_this_cart(shop):
    cart = await new_cart(shop, (JACKET, 1))
    # given an order made for the cart by a checkout whose answer was lost, and a line added after its claim expired
    await shop.erp.create_order(OrderDraft(cart.cart_id, "WEB", None, "ana@example.com", "Ana", None, None,
                                           (OrderLine(10, "JACKET-M", 1, cart.lines[0].added_price),), None, "pay-1"))
    await changes.add_lines(CartUnitOfWork(shop.context()), cart_ref(cart.cart_id), [LineRequest(LARGE, 1)], None)
    # when it is checked out
    outcome = await checkout.checkout(CartUnitOfWork(shop.context()), cart_ref(cart.cart_id), SHIPPING)
    # then the new line is not marked as bought
    assert [e.code for e in outcome.user_errors] == ["ORDER_EXISTS"] and len(shop.erp.orders) == 1
    assert shop.carts.carts[cart.cart_id].status is CartStatus.ACTIVE
