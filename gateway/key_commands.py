"""`commerce-gateway keys …`: key management from the shell, on the gateway's MongoDB
(or its embedded store's file, opened for the duration of the command)."""

from __future__ import annotations

import argparse
import json

from domain.api_keys import ApiKey, KeyKind, Scope
from domain.channels import Channel
from gateway.settings import Settings
from gateway.wiring import build_services
from resolvers import api_keys


def describe(key: ApiKey) -> dict:
    return {"id": key.key_id, "name": key.name, "kind": key.kind.value, "channel": key.channel,
            "scopes": [s.value for s in key.scopes], "requests_per_minute": key.requests_per_minute,
            "cost_per_minute": key.cost_per_minute, "created_at": key.created_at.isoformat(),
            "expires_at": key.expires_at.isoformat() if key.expires_at else None,
            "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
            "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
            "documents": key.documents, "checkout_channels": list(key.checkout_channels)}


async def run_key_command(settings: Settings, args: argparse.Namespace) -> str:
    async with build_services(settings) as built:
        store = built.keys
        if args.action == "create":
            try:
                scopes = tuple(Scope(s) for s in args.scope)
            except ValueError:
                raise ValueError(f"--scope: one of {', '.join(s.value for s in Scope)}") from None
            spec = api_keys.KeySpec(name=args.name, kind=KeyKind(args.kind), scopes=scopes,
                                    channel=Channel.parse(args.channel) if args.channel else None,
                                    channels=tuple(Channel.parse(c) for c in args.channels.split(",") if c.strip())
                                    if args.channels else (),
                                    expires_in_days=args.expires_days,
                                    requests_per_minute=args.requests_per_minute,
                                    cost_per_minute=args.cost_per_minute, documents=args.documents)
            key, full = await api_keys.issue(store, spec, args.actor)
            return _shown(key, full, args.json)
        if args.action == "list":
            found = [describe(k) for k in await store.all()]
            if args.json:
                return json.dumps(found, indent=2)
            return "\n".join(f"{k['id']}  {k['kind']:<11} {k['channel'] or '-':<12} "
                             f"{'revoked' if k['revoked_at'] else 'active':<8} {k['name']}" for k in found) \
                or "no keys"
        if args.action == "revoke":
            key = await api_keys.revoke(store, args.key_id, args.actor)
            return json.dumps(describe(key), indent=2) if args.json else f"revoked {key.key_id} ({key.name})"
        key, full = await api_keys.rotate(store, args.key_id, args.actor)
        return _shown(key, full, args.json)


def _shown(key: ApiKey, full: str, as_json: bool) -> str:
    if as_json:
        return json.dumps({**describe(key), "key": full}, indent=2)
    return (f"{full}\n\nThe key above is shown only now; store it safely.\n"
            f"id {key.key_id}, {key.kind.value}, channel {key.channel or 'any'}, "
            f"checks out at {' '.join(key.checkout_channels)}, "
            f"scopes {' '.join(s.value for s in key.scopes)}")
