"""The Node interface: global, opaque IDs that any normalized client cache can key by."""

from __future__ import annotations

import strawberry


@strawberry.interface(description="An object with a global ID, stable across restarts and channels.")
class Node:
    id: strawberry.ID
