"""Every code the use cases can answer is a member of its slice's enum, so clients find it by
introspection and no answer falls back to INTERNAL.

The codes are read from the sources: every `UserError(…)` (and `KeyUserError(…)`, `CartWarning(…)`)
with its code as a literal, a module constant or an enum member. A mutation's slice is its payload's
`userErrors` type; the codes it can answer are those made in the code its resolver reaches by name
(functions, constants, classes and their methods, across modules; a call `x.method(…)` reaches every
method of that name), e.g. `cartCheckout` reaches the cart's unit of work and the domain cart's
`refusal`, and so CART_NOT_FOUND, CART_CLOSED and VERSION_CONFLICT.
"""

from __future__ import annotations

import ast
import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

from domain import carts as domain_carts
from domain.error_codes import (
    CartErrorCode,
    CartWarningCode,
    CheckoutErrorCode,
    Code,
    CustomerErrorCode,
    KeyErrorCode,
    ListErrorCode,
    ListWarningCode,
    WebhookErrorCode,
)
from schema.carts.types import CartPayload, CartUserError, CheckoutUserError
from schema.schema import build_schema
from schema.user_errors import member

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("schema", "resolvers", "domain")
CODED = {"UserError", "KeyUserError", "CartUserError", "CheckoutUserError", "CustomerUserError",
         "ListUserError"}  # first argument or `code=`
WARNINGS = {"CartWarning"}
ENUMS = {e.__name__: e for e in (CartErrorCode, CheckoutErrorCode, KeyErrorCode, CartWarningCode, CustomerErrorCode,
                                 ListErrorCode, ListWarningCode, WebhookErrorCode)}
LIST_MODULES = ("domain.lists", "resolvers.lists")  # their warnings are the saved-list slice's


@dataclass(frozen=True)
class Made:
    """One code written in the sources: a string, or `Enum.MEMBER` (`enum` set)."""

    code: str
    where: str
    enum: str | None = None


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    defs: dict[str, ast.stmt]  # top-level functions, classes and assignments by name
    imports: dict[str, tuple[str, str | None]]  # local name -> (module, name in it; None: the module itself)


def module_path(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


@functools.cache
def load(name: str) -> Module | None:
    path = module_path(name)
    if path is None or name.split(".")[0] not in PACKAGES:
        return None
    tree = ast.parse(path.read_text(), str(path))
    defs: dict[str, ast.stmt] = {}
    imports: dict[str, tuple[str, str | None]] = {}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs[stmt.name] = stmt
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            defs.update((t.id, stmt) for t in targets if isinstance(t, ast.Name))
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:  # `import a.b as c` names a.b; `import a.b` names a
                top = alias.name.partition(".")[0]
                imports[alias.asname or top] = (alias.name if alias.asname else top, None)
        elif isinstance(stmt, ast.ImportFrom):
            source = stmt.module or ""
            if stmt.level:
                base = package.rsplit(".", stmt.level - 1)[0] if stmt.level > 1 else package
                source = f"{base}.{source}" if source else base
            for alias in stmt.names:
                local = alias.asname or alias.name
                submodule = f"{source}.{alias.name}"
                imports[local] = (submodule, None) if module_path(submodule) else (source, alias.name)
    return Module(name, path, tree, defs, imports)


def resolve(module: Module, name: str, seen: frozenset[tuple[str, str]] = frozenset()) -> tuple[Module, str] | None:
    """The module and top-level name that `name` in `module` stands for, following imports."""
    if name in module.defs:
        return module, name
    target = module.imports.get(name)
    if target is None or target[1] is None or (target[0], target[1]) in seen:
        return None
    found = load(target[0])
    return resolve(found, target[1], seen | {(target[0], target[1])}) if found else None


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """`node`'s subtree; of a class, without its methods' bodies (a method is reached by its name)."""
    if not isinstance(node, ast.ClassDef):
        yield from ast.walk(node)
        return
    for part in (*node.decorator_list, *node.bases, *node.keywords, *node.body):
        if not isinstance(part, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from ast.walk(part)


@functools.cache
def methods() -> dict[str, list[tuple[Module, ast.AST]]]:
    """Every method of our packages' classes by name: `x.name` may call any of them."""
    found: dict[str, list[tuple[Module, ast.AST]]] = {}
    for module in all_sources():
        for cls in (n for n in module.tree.body if isinstance(n, ast.ClassDef)):
            for method in cls.body:
                if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) and not method.name.startswith("__"):
                    found.setdefault(method.name, []).append((module, method))
    return found


def referenced(module: Module, node: ast.AST) -> Iterator[tuple[Module, ast.AST]]:
    """The definitions (of our packages) that `node` names: `f`, `module.f`, `Class`, `Class.method`, and
    for a call `anything.method(…)` every method of that name."""
    called = {id(n.func) for n in walk(node) if isinstance(n, ast.Call)}
    for inner in walk(node):
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Load):
            found = resolve(module, inner.id)
            if found:
                yield found[0], found[0].defs[found[1]]
        elif isinstance(inner, ast.Attribute):
            receiver = inner.value.id if isinstance(inner.value, ast.Name) else None
            target = module.imports.get(receiver) if receiver else None
            if target is not None and target[1] is None:  # module.name: ours, or a library's (strawberry.field)
                other = load(target[0])
                found = resolve(other, inner.attr) if other else None
                if found:
                    yield found[0], found[0].defs[found[1]]
                continue
            cls = resolve(module, receiver) if receiver else None
            if cls is not None and isinstance(definition := cls[0].defs[cls[1]], ast.ClassDef):  # Class.method
                yield from ((cls[0], m) for m in definition.body
                            if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name == inner.attr)
            elif id(inner) in called:
                yield from methods().get(inner.attr, ())


def code_of(module: Module, expression: ast.expr, where: str) -> Iterator[Made]:
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        yield Made(expression.value, where)
    elif isinstance(expression, ast.IfExp):
        yield from code_of(module, expression.body, where)
        yield from code_of(module, expression.orelse, where)
    elif isinstance(expression, ast.Attribute) and isinstance(expression.value, ast.Name) \
            and expression.value.id in ENUMS:
        yield Made(expression.attr, where, enum=expression.value.id)
    elif isinstance(expression, ast.Call) and getattr(expression.func, "id", None) == "member":
        return  # the schema converting a code the domain made: checked where that was made
    elif isinstance(expression, ast.Name) and (found := resolve(module, expression.id)) \
            and isinstance(stmt := found[0].defs[found[1]], ast.Assign):
        yield from code_of(found[0], stmt.value, where)
    else:
        raise AssertionError(f"{where}: write the code as a literal, a constant or an enum member, so that "
                             f"tests/unit/test_error_codes.py can check it: {ast.unparse(expression)}")


def codes_made(module: Module, node: ast.AST, callees: set[str]) -> Iterator[Made]:
    for call in walk(node):
        if not isinstance(call, ast.Call):
            continue
        callee = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)
        if callee not in callees:
            continue
        where = f"{module.path.relative_to(ROOT)}:{call.lineno}"
        argument = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "code"), None)
        if argument is None:
            raise AssertionError(f"{where}: {callee} without a code")
        yield from code_of(module, argument, where)


def reached(module: Module, node: ast.AST) -> Iterator[tuple[Module, ast.AST]]:
    """`node` and every definition it reaches by name, each once."""
    seen: set[int] = set()
    todo: list[tuple[Module, ast.AST]] = [(module, node)]
    while todo:
        current, at = todo.pop()
        yield current, at
        for other, definition in referenced(current, at):
            if id(definition) not in seen:
                seen.add(id(definition))
                todo.append((other, definition))


SCHEMA = build_schema(compiled=False)
MUTATION: Any = SCHEMA.get_type_by_name("Mutation")
MUTATIONS: dict[str, Any] = {SCHEMA.config.name_converter.get_graphql_name(f): f for f in MUTATION.fields}


@functools.cache
def mutation_slices() -> dict[str, tuple[type[Enum], frozenset[Made]]]:
    """Each mutation: the enum of its payload's `userErrors` codes, and the codes its resolver reaches."""
    slices = {}
    for name, field in MUTATIONS.items():
        payload: Any = field.type.__strawberry_definition__
        (errors,) = [f for f in payload.fields if f.python_name == "user_errors"]
        error_type: Any = errors.type.of_type  # [X!]! -> X
        (code,) = [f for f in error_type.__strawberry_definition__.fields if f.python_name == "code"]
        resolver = field.base_resolver.wrapped_func
        module = load(resolver.__module__)
        assert module is not None
        owner, method = resolver.__qualname__.split(".")
        owner_class: Any = module.defs[owner]
        (node,) = [n for n in owner_class.body
                   if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == method]
        made = frozenset(m for at_module, at in reached(module, node) for m in codes_made(at_module, at, CODED))
        slices[name] = (code.type.wrapped_cls, made)
    return slices


def all_sources() -> Iterator[Module]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            module = load(name)
            if module is not None:
                yield module


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_every_code_a_mutation_can_answer_is_a_member_of_its_payloads_enum(mutation):
    # given the codes the mutation's resolver reaches
    enum, made = mutation_slices()[mutation]
    # then each is a member of the enum its payload's userErrors declare
    missing = sorted(f"{m.code} ({m.where})" for m in made if m.code not in enum.__members__)
    assert not missing, f"{mutation} can answer codes that {enum.__name__} lacks: {missing}"


def test_the_scan_sees_the_codes_of_each_slice():
    # a scan that found nothing would pass the test above: these codes are known to be made
    slices = mutation_slices()

    def codes(mutation: str) -> set[str]:
        return {m.code for m in slices[mutation][1]}

    assert slices["cartCheckout"][0] is CheckoutErrorCode and slices["cartLinesAdd"][0] is CartErrorCode
    assert {"CHECKOUT_IN_PROGRESS", "CART_EMPTY", "IDEMPOTENCY_KEY_REUSED"} <= codes("cartCheckout")
    assert {"CART_NOT_FOUND", "CART_CLOSED", "VERSION_CONFLICT"} <= codes("cartCheckout")  # the cart's own path
    assert {"INSUFFICIENT_STOCK", "IDEMPOTENCY_KEY_IN_USE"} <= codes("cartLinesAdd")
    assert "LINE_NOT_FOUND" in codes("cartLinesUpdate") and "LINE_NOT_FOUND" not in codes("cartNoteUpdate")
    assert "CUSTOMER_REQUIRED" in codes("cartBuyerIdentityUpdate")
    assert {"KEY_NOT_FOUND", "INVALID_INPUT"} <= codes("apiKeyRevoke") and slices["apiKeyRevoke"][0] is KeyErrorCode
    assert {"INVALID_PHONE", "NAME_TOO_LONG", "CUSTOMER_REQUIRED"} <= codes("customerUpdate")
    assert slices["customerUpdate"][0] is CustomerErrorCode
    assert slices["listItemsMoveToCart"][0] is ListErrorCode
    assert {"LIST_NOT_FOUND", "ITEM_NOT_FOUND", "CART_NOT_FOUND", "INSUFFICIENT_STOCK"} <= codes("listItemsMoveToCart")
    assert {"LINE_NOT_FOUND", "TOO_MANY_ITEMS", "CART_CLOSED"} <= codes("cartLinesSaveForLater")
    assert {"TOO_MANY_LISTS", "NAME_TAKEN", "INVALID_NAME"} <= codes("listCreate")
    assert {"CUSTOMER_REQUIRED", "LIST_CLOSED"} <= codes("listBuyerIdentityUpdate")
    assert {"INVALID_URL", "CHANNEL_NOT_ALLOWED", "TOO_MANY_ENDPOINTS"} <= codes("webhookCreate")
    assert {"NOT_FOUND", "NOT_DISABLED"} <= codes("webhookEnable") and slices["webhookEnable"][0] is WebhookErrorCode


def test_every_user_error_in_the_sources_is_in_some_slice():
    # given every user error written anywhere (a module no mutation reaches yet included)
    everywhere = {m for module in all_sources() for m in codes_made(module, module.tree, CODED)}
    # then its code is a member of one of the slices' enums
    known = set().union(*(e.__members__ for e in (CartErrorCode, CheckoutErrorCode, KeyErrorCode, CustomerErrorCode,
                                                  ListErrorCode, WebhookErrorCode)))
    assert len(everywhere) > 20
    assert not sorted(f"{m.code} ({m.where})" for m in everywhere if m.code not in known)


def test_every_cart_warning_code_is_a_member_of_cart_warning_code():
    # given every CartWarning the sources make
    made = {m for module in all_sources() for m in codes_made(module, module.tree, WARNINGS)
            if not module.name.startswith(("schema.", *LIST_MODULES))}  # the schema converts the domain's warnings
    # then each code is a member of CartWarningCode
    assert {"PRICE_CHANGED", "ITEM_UNAVAILABLE", "QUANTITY_CAPPED", "PRICES_UNCONFIRMED"} <= {m.code for m in made}
    assert not sorted(f"{m.code} ({m.where})" for m in made if m.code not in CartWarningCode.__members__)


def test_every_list_warning_code_is_a_member_of_list_warning_code():
    made = {m for module in all_sources() for m in codes_made(module, module.tree, WARNINGS)
            if module.name.startswith(LIST_MODULES)}
    assert {"ALREADY_SAVED", "LIST_FULL"} <= {m.code for m in made}
    assert not sorted(f"{m.code} ({m.where})" for m in made if m.code not in ListWarningCode.__members__)


@pytest.mark.parametrize("codes", [CartErrorCode, CheckoutErrorCode, KeyErrorCode, CartWarningCode, ListErrorCode,
                                   ListWarningCode, CustomerErrorCode, WebhookErrorCode])
def test_every_member_is_its_own_name_and_described(codes: type[Code]):
    # GraphQL answers the member's name, the domain writes its value: the two must be the same
    assert all(m.name == m.value and m.description.strip() for m in codes)
    assert "INTERNAL" in codes.__members__  # what an unlisted code is answered as


def test_an_unlisted_code_is_answered_as_internal_and_logged(caplog):
    # given a user error whose code the enum does not list
    error = domain_carts.UserError("SOMETHING_NEW", "the cart is on fire", ("cartId",))
    # when the schema converts it
    with caplog.at_level(logging.ERROR, logger="commerce_gateway.errors"):
        shown = CartUserError.of(error)
    # then the answer still goes out, as INTERNAL with the message, and the log names the code
    assert (shown.code, shown.message, shown.field) == (CartErrorCode.INTERNAL, "the cart is on fire", ["cartId"])
    (record,) = caplog.records
    assert "SOMETHING_NEW" in record.getMessage() and "CartErrorCode" in record.getMessage()


def test_a_listed_code_becomes_its_member():
    error = domain_carts.UserError("CHECKOUT_IN_PROGRESS", "wait")
    assert CheckoutUserError.of(error).code is CheckoutErrorCode.CHECKOUT_IN_PROGRESS
    assert member(CartErrorCode, CartErrorCode.CART_CLOSED) is CartErrorCode.CART_CLOSED
    outcome = domain_carts.CartOutcome(None, (domain_carts.UserError("CART_NOT_FOUND", "no cart"),))
    assert CartPayload.of(outcome).user_errors[0].code is CartErrorCode.CART_NOT_FOUND
