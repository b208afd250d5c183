"""`commerce-gateway documents push FILE --list NAME`: trusted documents for keys that may run
nothing else (marketplace partners, release builds of an app).

FILE is an Apollo persisted-query manifest (`{"format": "apollo-persisted-query-manifest",
"version": 1, "operations": [{"id": <sha256>, "body": <document>, …}]}`) or a JSON object of
`<sha256>: <document>` (graphql-codegen's and Relay's persisted documents). Every hash must be
the SHA-256 of its document, and every document must validate against this gateway's schema.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from graphql import GraphQLError, parse, validate

from gateway.persisted import sha256_of
from gateway.settings import Settings
from gateway.wiring import build_gateway_schema, build_services
from resolvers.api_keys import DOCUMENT_LIST_NAME


def read_documents(path: Path) -> dict[str, str]:
    """hash → document, from either file format; ValueError naming what is wrong."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable JSON file ({exc})") from None
    if isinstance(data, dict) and data.get("format") == "apollo-persisted-query-manifest":
        operations = data.get("operations")
        if data.get("version") != 1 or not isinstance(operations, list):
            raise ValueError(f"{path}: an Apollo manifest of version 1 has a list of operations")
        pairs = [(op.get("id"), op.get("body")) if isinstance(op, dict) else (None, None) for op in operations]
    elif isinstance(data, dict):
        pairs = list(data.items())
    else:
        raise ValueError(f"{path}: expected an Apollo persisted-query manifest or an object of hash: document")
    documents: dict[str, str] = {}
    for number, (sha256, document) in enumerate(pairs, 1):
        if not isinstance(sha256, str) or not isinstance(document, str):
            raise ValueError(f"{path}: document {number} needs a hash and a body, both strings")
        if sha256_of(document) != sha256:
            raise ValueError(f"{path}: document {number}: {sha256} is not the SHA-256 of its body")
        documents[sha256] = document
    if not documents:
        raise ValueError(f"{path}: no documents")
    return documents


def check_against_schema(documents: dict[str, str], settings: Settings) -> None:
    schema = build_gateway_schema(settings)._schema
    for sha256, document in documents.items():
        try:
            errors = validate(schema, parse(document))
        except GraphQLError as exc:
            errors = [exc]
        if errors:
            raise ValueError(f"document {sha256[:12]}… does not validate: {errors[0].message}")


async def run_document_command(settings: Settings, args: argparse.Namespace) -> str:
    if not DOCUMENT_LIST_NAME.fullmatch(args.list):
        raise ValueError("--list: 1-64 letters, digits, dots, dashes or underscores")
    documents = read_documents(Path(args.file))
    check_against_schema(documents, settings)
    async with build_services(settings) as built:
        store = built.document_store
        for sha256, document in documents.items():
            await store.put(sha256, document)
        size = await store.add_to_list(args.list, list(documents), replace=args.replace)
    if args.json:
        return json.dumps({"list": args.list, "pushed": len(documents), "size": size})
    return f"pushed {len(documents)} documents to list {args.list}; it now holds {size}"
