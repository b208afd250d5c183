"""How saved lists and their items are named to clients (global IDs)."""

from __future__ import annotations

from domain.errors import BadUserInput
from domain.lists import SavedList
from resolvers import global_ids


def list_ref(list_id: str) -> str:
    """The list's global ID."""
    return global_ids.encode("SavedList", list_id)


def item_global_id(list_id: str, item_id: str) -> str:
    return global_ids.encode("SavedItem", f"{list_id}:{item_id}")


def list_key(list_global_id: str) -> str:
    kind, key = global_ids.decode(list_global_id)
    if kind != "SavedList":
        raise BadUserInput(f"`listId` takes a SavedList ID, not the ID of a {kind}")
    return key


def item_key(item_global_id: str) -> tuple[str, str] | None:
    """(list id, item id) of a SavedItem's global ID; None for any other."""
    try:
        kind, key = global_ids.decode(item_global_id)
    except BadUserInput:
        return None
    list_id, _, item_id = key.rpartition(":")
    return (list_id, item_id) if kind == "SavedItem" and list_id and item_id else None


def item_in(saved: SavedList, item_global_id: str) -> str | None:
    """The item id, when the global ID names an item of this list."""
    found = item_key(item_global_id)
    return found[1] if found and found[0] == saved.list_id and saved.item(found[1]) else None
