"""Probing the schema by typos: an error names what the caller sent and nothing close to it
("Did you mean …?" would list the schema's field, argument, type, enum value, directive and input
field names to a key that may not introspect it)."""

from __future__ import annotations

import pytest

TYPOS = [
    ("{ channel { code } }", None),  # a field
    ("{ products(frist: 5) { nodes { sku } } }", None),  # an argument
    ("query($c: ChanelCode) { channels { code } }", None),  # a type
    ('{ node(id: "x") { ... on Prodcut { sku } } }', None),  # a type condition
    ("query @inContext(channel: WBE) { channels { code } }", None),  # an enum value
    ("query($c: ChannelCode) @inContext(channel: $c) { channels { code } }", {"c": "WBE"}),  # through a variable
    ("query @inContxt(channel: WEB) { channels { code } }", None),  # a directive
    ("query @inContext(chanel: WEB) { channels { code } }", None),  # a directive's argument
    ("{ ...Channls } fragment Channels on Query { channels { code } }", None),  # a fragment
    ('mutation { cartCreate(input: {lnes: []}) { cart { id } } }', None),  # an input field
    ('mutation($l: [CartLineInput!]!) { cartLinesAdd(cartId: "x", lines: $l) { cart { id } } }',
     {"l": [{"merchandiseId": "x", "quantiy": 1}]}),  # an input field through a variable
]


@pytest.mark.parametrize("kind", ["marketplace", "frontend"])  # introspection off, and on
@pytest.mark.parametrize(("document", "variables"), TYPOS)
def test_no_error_suggests_a_name(client_with_key, kind, document, variables):
    # given
    gql = client_with_key(kind)
    # when
    answer = gql(document, variables)
    # then
    assert answer["errors"], answer
    for error in answer["errors"]:
        assert "Did you mean" not in error["message"], error
        assert error["extensions"]["code"] in ("GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"), error
