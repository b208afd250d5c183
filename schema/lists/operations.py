"""Saved-list mutations. Expected failures are `userErrors`; the list is the current one. Each
takes an idempotency key, and (but listCreate, which makes a list) the version it expects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from strawberry.types import Info

from domain.api_keys import Scope
from domain.lists import ListOutcome
from resolvers.carts.idempotency import run_once
from resolvers.lists import changes, moves, sign_in
from resolvers.lists.unit_of_work import ListUnitOfWork
from resolvers.reminders.customer import remember_email
from schema.carts.operations import ExpectedVersion, IdempotencyKey
from schema.context import ctx
from schema.lists.types import ListPayload
from schema.scopes import needs


@strawberry.input
class SavedItemInput:
    merchandise_id: strawberry.ID


async def _once(info: Info, operation: str, key: str | None, arguments: tuple,
                run: Callable[[ListUnitOfWork], Awaitable[ListOutcome]]) -> ListPayload:
    context = ctx(info)
    outcome = await run_once(context, operation, key, arguments, lambda call: run(ListUnitOfWork(context, call)),
                             lambda error: ListOutcome(None, (error,)))
    return ListPayload.of(outcome)


@strawberry.type
class ListMutation:
    @strawberry.mutation(description="A new list of the signed-in customer's (a guest's, found by its ID alone, "
                         "without a token).", extensions=[needs(Scope.LISTS_WRITE)])
    async def list_create(self, info: Info, name: str, idempotency_key: IdempotencyKey = None) -> ListPayload:
        return await _once(info, "listCreate", idempotency_key, (name,),
                           lambda uow: changes.create_list(uow, name))

    @strawberry.mutation(description="Saves variants, each SKU once, with the channel's price and stock now.",
                         extensions=[needs(Scope.LISTS_WRITE)])
    async def list_items_add(self, info: Info, list_id: strawberry.ID, items: list[SavedItemInput],
                             expected_version: ExpectedVersion = None,
                             idempotency_key: IdempotencyKey = None) -> ListPayload:
        ids = [str(i.merchandise_id) for i in items]
        await remember_email(ctx(info))  # where a reminder e-mail would go, once the customer consents
        return await _once(info, "listItemsAdd", idempotency_key, (list_id, ids, expected_version),
                           lambda uow: changes.add_items(uow, list_id, ids, expected_version))

    @strawberry.mutation(extensions=[needs(Scope.LISTS_WRITE)])
    async def list_items_remove(self, info: Info, list_id: strawberry.ID, item_ids: list[strawberry.ID],
                                expected_version: ExpectedVersion = None,
                                idempotency_key: IdempotencyKey = None) -> ListPayload:
        return await _once(info, "listItemsRemove", idempotency_key, (list_id, item_ids, expected_version),
                           lambda uow: changes.remove_items(uow, list_id, item_ids, expected_version))

    @strawberry.mutation(description="Moves cart lines to a list: `listId`, else the customer's default list, else "
                         "(a guest) a new guest list. The list gains them before the cart loses them. "
                         "`expectedVersion` is the cart's.",
                         extensions=[needs(Scope.LISTS_WRITE), needs(Scope.CART_WRITE)])
    async def cart_lines_save_for_later(self, info: Info, cart_id: strawberry.ID, line_ids: list[strawberry.ID],
                                        list_id: strawberry.ID | None = None,
                                        expected_version: ExpectedVersion = None,
                                        idempotency_key: IdempotencyKey = None) -> ListPayload:
        await remember_email(ctx(info))  # saving from the cart asks for reminders as saving to a list does
        return await _once(info, "cartLinesSaveForLater", idempotency_key,
                           (cart_id, line_ids, list_id, expected_version),
                           lambda uow: moves.save_for_later(uow, cart_id, line_ids, list_id, expected_version))

    @strawberry.mutation(description="Moves saved items into the cart, one unit each, at the cart's rules (price now, "
                         "stock, limits); refused as a whole, nothing moves. `expectedVersion` is the list's.",
                         extensions=[needs(Scope.LISTS_WRITE), needs(Scope.CART_WRITE)])
    async def list_items_move_to_cart(self, info: Info, list_id: strawberry.ID, item_ids: list[strawberry.ID],
                                      cart_id: strawberry.ID, expected_version: ExpectedVersion = None,
                                      idempotency_key: IdempotencyKey = None) -> ListPayload:
        return await _once(info, "listItemsMoveToCart", idempotency_key,
                           (list_id, item_ids, cart_id, expected_version),
                           lambda uow: moves.move_to_cart(uow, list_id, item_ids, cart_id, expected_version))

    @strawberry.mutation(description="Signing in with a guest list: its items join the customer's default list "
                         "(each SKU once) and it is closed. Send it with cartBuyerIdentityUpdate at sign-in.",
                         extensions=[needs(Scope.LISTS_WRITE)])
    async def list_buyer_identity_update(self, info: Info, list_id: strawberry.ID,
                                         expected_version: ExpectedVersion = None,
                                         idempotency_key: IdempotencyKey = None) -> ListPayload:
        await remember_email(ctx(info))  # a guest's saved items become the customer's, to be reminded of
        return await _once(info, "listBuyerIdentityUpdate", idempotency_key, (list_id, expected_version),
                           lambda uow: sign_in.attach_list(uow, list_id, expected_version))
