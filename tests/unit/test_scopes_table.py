"""README's scopes table names, for every scope, the root fields that need it, as the schema says."""

from __future__ import annotations

import re
from pathlib import Path

from domain.api_keys import Scope
from gateway.settings import load_settings
from gateway.wiring import build_gateway_schema
from schema.scopes import RequiresScope

README = Path(__file__).parents[2] / "README.md"
# named in prose beside the table (`me`, `node`), or by a row's "every cart mutation" / "every list mutation"
IN_PROSE = {"me", "node", "nodes"}


def scopes_table() -> dict[str, str]:
    """Each row of the table that follows `| scope | fields |`, up to its first line that is not a row."""
    lines = README.read_text().splitlines()
    start = lines.index("| scope | fields |") + 2
    rows: dict[str, str] = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        scope, fields = (cell.strip() for cell in line.strip("|").split("|", 1))
        rows[scope.strip("`")] = fields
    return rows


def test_every_scope_has_a_row_and_every_guarded_root_field_is_named_in_one_of_its_scopes_rows():
    rows = scopes_table()
    assert set(rows) == {s.value for s in Scope}
    schema = build_gateway_schema(load_settings(environ={"CGW_CONFIG": "/dev/null"}))
    unnamed = []
    for root in ("Query", "Mutation", "Subscription"):
        for field in schema.get_type_by_name(root).fields:  # type: ignore[union-attr]
            guards = [e for e in field.extensions if isinstance(e, RequiresScope)]
            name = schema.config.name_converter.get_graphql_name(field)
            if not guards or name in IN_PROSE:
                continue
            told = " ".join(rows[s.value] for s in guards[0].any_of)
            covered = root == "Mutation" and any(
                name.startswith(noun) and f"every {noun} mutation" in told for noun in ("cart", "list"))
            if not covered and not re.search(rf"`{name}`", told):
                unnamed.append(f"{root}.{name}")
    assert unnamed == []
