"""`commerce-gateway`: serve, demo, embedded-store, mail-sink, simulator."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import socket
import sys
import time
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn

from domain.api_keys import DEFAULT_CHANNELS, KeyKind
from domain.errors import DomainError
from gateway.logs import configure_logging
from gateway.processes import (Supervisor, cli_argv, free_port, listening_socket, port_in_use,
                                                stop_with_supervisor)
from gateway.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from starlette.applications import Starlette

log = logging.getLogger("commerce_gateway.cli")


def _settings(args: argparse.Namespace) -> Settings:
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(f"commerce-gateway: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    server = settings.server
    if getattr(args, "host", None):
        server = dataclasses.replace(server, host=args.host)
    if getattr(args, "port", None):
        server = dataclasses.replace(server, port=args.port)
    if getattr(args, "workers", None):
        server = dataclasses.replace(server, workers=args.workers)
    return dataclasses.replace(settings, server=server)


def _addresses(settings: Settings) -> list[tuple[str, int]]:
    """Where `serve` listens: the gateway's address and, when metrics have a port of their own, theirs."""
    addresses = [(settings.server.host, settings.server.port)]
    if settings.metrics.enabled and settings.metrics.port:
        addresses.append((settings.metrics.host, settings.metrics.port))
    return addresses


def serve(args: argparse.Namespace, make_app: Callable[..., Starlette] | None = None) -> int:
    """`make_app`: the app factory, gateway.app.create_app unless a benchmark's baseline gives its own."""
    settings = _settings(args)
    configure_logging(settings.server.log_level)
    listeners: list[socket.socket] = []
    for host, port in _addresses(settings):
        try:
            listeners.append(listening_socket(host, port))
        except OSError as exc:
            print(f"commerce-gateway: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
            for listener in listeners:
                listener.close()
            return 1
    supervisor = Supervisor()
    try:
        if not settings.mongo.url:
            port = free_port()
            supervisor.start("embedded-store", cli_argv("embedded-store", "--path", settings.mongo.embedded_path,
                                                        "--port", str(port)))
            supervisor.wait_until("embedded-store", f"tcp://127.0.0.1:{port}")
            url = f"mongodb://127.0.0.1:{port}/?directConnection=true"
            settings = dataclasses.replace(settings, mongo=dataclasses.replace(settings.mongo, url=url))
            log.info("embedded store started", extra={"path": settings.mongo.embedded_path, "url": url})
        if settings.server.production and (demo := asyncio.run(_demo_keys_accepted(settings))):
            print(f"commerce-gateway: refusing to start with server.production = true: the demo's published API "
                  f"keys are accepted ({', '.join(demo)}); revoke them (commerce-gateway keys revoke <id>)",
                  file=sys.stderr)
            return 2
        if settings.server.workers > 1:
            from gateway.workers import run_workers

            return run_workers(settings, listeners, make_app)
        if make_app is None:
            from gateway.app import create_app

            make_app = create_app
        config = uvicorn.Config(make_app(settings), host=settings.server.host, port=settings.server.port,
                                log_config=None, access_log=False, lifespan="on")
        uvicorn.Server(config).run(sockets=listeners)
    except KeyboardInterrupt:
        pass  # uvicorn has shut down gracefully and re-raises the signal
    except RuntimeError as exc:
        log.error(str(exc))
        return 1
    finally:
        supervisor.stop_all()
        for listener in listeners:
            listener.close()
    return 0


def demo(args: argparse.Namespace) -> int:
    from gateway.demo_keys import keys_file
    from simulators.registry import SIMULATORS

    settings = _settings(args)
    configure_logging("warning")
    wanted = [settings.server.port, *(port for _, port in SIMULATORS.values())]
    busy = [p for p in wanted if port_in_use("127.0.0.1", p)]
    if busy:
        print(f"commerce-gateway demo: port(s) {', '.join(map(str, busy))} already in use; "
              "stop what runs there (another demo?) and try again", file=sys.stderr)
        return 1
    supervisor = Supervisor()
    store_port = free_port()
    try:
        print(f"Starting four backend simulators with a {args.size:,}-product catalog…", flush=True)
        for name, (_, port) in SIMULATORS.items():
            supervisor.start(name, cli_argv("simulator", name, "--port", str(port), "--size", str(args.size)))
        supervisor.start("embedded-store", cli_argv("embedded-store", "--path", settings.mongo.embedded_path,
                                                    "--port", str(store_port)))
        for name, (_, port) in SIMULATORS.items():
            supervisor.wait_until(name, f"http://127.0.0.1:{port}/__stats", timeout=120)
        supervisor.wait_until("embedded-store", f"tcp://127.0.0.1:{store_port}")
        reminders_env, mail_folder = _demo_mail(settings, supervisor)
        mongo_url = f"mongodb://127.0.0.1:{store_port}/?directConnection=true"
        kept_in = keys_file(settings.mongo.embedded_path)
        demo_keys = asyncio.run(_demo_keys(dataclasses.replace(
            settings, mongo=dataclasses.replace(settings.mongo, url=mongo_url)), kept_in))
        gateway_args = ["serve", "--port", str(settings.server.port), "--workers", "1"]  # the demo: one process
        if args.config:
            gateway_args += ["--config", args.config]
        base = f"http://{settings.server.host}:{settings.server.port}"
        supervisor.start("gateway", cli_argv(*gateway_args), env={
            "CGW_MONGO__URL": mongo_url, **reminders_env, **demo_webhooks_env(settings),
            **({"CGW_REMINDERS__PUBLIC_URL": base} if "CGW_REMINDERS__PUBLIC_URL" not in os.environ else {})})
        supervisor.wait_until("gateway", f"{base}/healthz")
        rows = [("GraphQL (GraphiQL in a browser)", f"{base}/graphql"), ("readiness", f"{base}/readyz")]
        if settings.metrics.enabled:
            metrics = f"http://{settings.metrics.host}:{settings.metrics.port}" if settings.metrics.port else base
            rows += [("metrics (Prometheus)", f"{metrics}/metrics")]
        rows += [(f"{name} simulator", f"http://127.0.0.1:{port}") for name, (_, port) in SIMULATORS.items()]
        rows += [("embedded store (MongoDB wire)", f"{mongo_url}  file {settings.mongo.embedded_path}")]
        if mail_folder is not None:
            rows += [("reminder e-mails sent (.eml)", f"{mail_folder}/  (the demo's SMTP sink; nothing is relayed)")]
        print("\nCommerce Gateway demo is running:")
        for what, where in rows:
            print(f"  {what:<32} {where}")
        print(f"\nAPI keys, one per client kind (kept in {kept_in}):")
        for kind, key in demo_keys.items():
            print(f"  {kind:<12} {key}  checks out at {' '.join(DEFAULT_CHANNELS[KeyKind(kind)])}")
        print("\nEvery request needs one. In GraphiQL, open Headers and paste\n"
              f'  {{"X-API-Key": "{demo_keys["frontend"]}"}}\n'
              f"or from a shell:\n  curl -s {base}/graphql -H 'X-API-Key: {demo_keys['frontend']}' "
              "-H 'Content-Type: application/json' -d '{\"query\": \"{ channels { code name } }\"}'")
        _print_demo_customer(settings, args.size, base, demo_keys["frontend"])
        print("\nPress Ctrl-C to stop everything.", flush=True)
        while (exited := supervisor.first_exited()) is None:
            time.sleep(0.5)
        print(f"commerce-gateway demo: {exited[0]} exited with status {exited[1]}; stopping", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    except RuntimeError as exc:
        print(f"commerce-gateway demo: {exc}", file=sys.stderr)
        return 1
    finally:
        supervisor.stop_all()


DEMO_TOKEN_HOURS = 12
CUSTOMER_QUERY = "{ me { profile { firstName email } orders(first: 3) { edges { node { number channel status } } } " \
                 "recommendations(first: 3) { reason product { title } } } }"


def _print_demo_customer(settings: Settings, size: int, base: str, key: str) -> None:
    """A token of the seeded history's first customer (known to every backend), to try `me` with."""
    from gateway.identity import issue_token
    from simulators.catalog import Catalog
    from simulators.order_history import seeded_customers

    first = seeded_customers(Catalog(size))[0]
    try:
        token = issue_token(first.ref, settings.auth, ttl_seconds=DEMO_TOKEN_HOURS * 3600, email=first.email)
    except ValueError:
        return  # RS256: the identity provider issues the tokens
    print(f"\nA signed-in customer ({first.name}, {first.email}, {DEMO_TOKEN_HOURS} h): send also\n"
          f"  Authorization: Bearer {token}\n"
          f"  curl -s {base}/graphql -H 'X-API-Key: {key}' -H 'Authorization: Bearer {token}' "
          f"-H 'Content-Type: application/json' -d '{{\"query\": \"{CUSTOMER_QUERY}\"}}'\n"
          "  `commerce-gateway token --customer cust-0002 --email …` makes another (README: The customer across "
          "channels).")


def demo_webhooks_env(settings: Settings, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Partner webhooks to a receiver on this machine (`http://127.0.0.1:…`), as one tries them with the demo:
    http and private targets allowed, unless the environment says otherwise or the settings are production's."""
    if settings.server.production:
        return {}
    allowed = {"CGW_WEBHOOKS__ALLOW_HTTP": "true", "CGW_WEBHOOKS__ALLOW_PRIVATE_TARGETS": "true"}
    return {name: value for name, value in allowed.items() if name not in environ}


def _demo_mail(settings: Settings, supervisor: Supervisor) -> tuple[dict[str, str], Path | None]:
    """Unless a mail server is configured, a local SMTP sink that writes every e-mail to var/mail/ (beside
    the embedded store); the reminder worker runs in the demo's gateway (every 10 s unless configured)."""
    env = {} if settings.reminders.every_seconds > 0 else {"CGW_REMINDERS__EVERY_SECONDS": "10"}
    if settings.smtp.host:
        return env, None
    folder = Path(settings.mongo.embedded_path).parent / "mail"
    port = free_port()
    supervisor.start("mail-sink", cli_argv("mail-sink", "--port", str(port), "--folder", str(folder)))
    supervisor.wait_until("mail-sink", f"tcp://127.0.0.1:{port}")
    return {**env, "CGW_SMTP__HOST": "127.0.0.1", "CGW_SMTP__PORT": str(port)}, folder


async def _demo_keys(settings: Settings, kept_in: Path) -> dict[str, str]:
    from gateway.demo_keys import ensure_demo_keys
    from gateway.wiring import build_services

    async with build_services(settings) as built:
        return await ensure_demo_keys(built.keys, kept_in)


async def _demo_keys_accepted(settings: Settings) -> list[str]:
    from gateway.demo_keys import demo_keys_accepted, keys_file
    from gateway.wiring import build_services

    async with build_services(settings) as built:
        return await demo_keys_accepted(built.keys, keys_file(settings.mongo.embedded_path))


def embedded_store(args: argparse.Namespace) -> int:
    from adapters.mongo.embedded import serve_forever

    configure_logging("info")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(args.path, args.host, args.port))
    return 0


def mail_sink(args: argparse.Namespace) -> int:
    from gateway.mail_sink import start_sink

    controller, _ = start_sink(args.host, args.port, Path(args.folder))
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(3600)
    controller.stop()
    return 0


def simulator(args: argparse.Namespace) -> int:
    from simulators.catalog import Catalog
    from simulators.registry import SERVED_HEAD_BYTES, build_app

    app = build_app(args.name, Catalog(args.size, args.seed))
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False,
                    h11_max_incomplete_event_size=SERVED_HEAD_BYTES)
    return 0


def token(args: argparse.Namespace) -> int:
    from gateway.identity import issue_token

    settings = _settings(args)
    try:
        print(issue_token(args.customer, settings.auth, ttl_seconds=int(args.ttl_minutes * 60), email=args.email))
    except ValueError as exc:
        print(f"commerce-gateway token: {exc}", file=sys.stderr)
        return 2
    return 0


def _store_command(name: str, run: Callable[[Settings, argparse.Namespace], Coroutine[object, object, str]],
                   args: argparse.Namespace) -> int:
    """A command on the gateway's store: its output on stdout, or why not on stderr (exit 2)."""
    settings = _settings(args)
    configure_logging("warning")
    try:
        print(asyncio.run(run(settings, args)))
    except (ValueError, DomainError) as exc:
        print(f"commerce-gateway {name}: {exc}", file=sys.stderr)
        return 2
    return 0


def keys(args: argparse.Namespace) -> int:
    from gateway.key_commands import run_key_command

    return _store_command("keys", run_key_command, args)


def documents(args: argparse.Namespace) -> int:
    from gateway.document_commands import run_document_command

    return _store_command("documents", run_document_command, args)


def parser() -> argparse.ArgumentParser:
    from simulators.catalog import DEFAULT_SIZE, MAX_SIZE
    from simulators.registry import SIMULATORS

    def size(text: str) -> int:
        value = int(text)
        if not 1 <= value <= MAX_SIZE:
            raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_SIZE}")
        return value

    def positive(text: str) -> int:
        value = int(text)
        if value < 1:
            raise argparse.ArgumentTypeError("must be 1 or more")
        return value

    p = argparse.ArgumentParser(prog="commerce-gateway", description="One GraphQL API for every sales channel.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the gateway (starts the embedded store when mongo.url is empty)")
    s.add_argument("--config", help="TOML settings file (default: ./commerce-gateway.toml, or $CGW_CONFIG)")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--workers", type=positive, help="gateway processes sharing the port, each with its own caches "
                   "(default: server.workers, 1)")
    s.set_defaults(func=serve)
    d = sub.add_parser("demo", help="simulators + embedded store + gateway, supervised; Ctrl-C stops all")
    d.add_argument("--config")
    d.add_argument("--size", type=size, default=DEFAULT_SIZE, help=f"catalog size, 1..{MAX_SIZE}")
    d.set_defaults(func=demo, port=None, host=None)
    e = sub.add_parser("embedded-store", help="the MongoDB-wire-compatible store on a SQLite file")
    e.add_argument("--path", default="var/gateway-store.sqlite", help="SQLite file, or :memory:")
    e.add_argument("--host", default="127.0.0.1")
    e.add_argument("--port", type=int, default=27117)
    e.set_defaults(func=embedded_store)
    m = sub.add_parser("mail-sink", help="a local SMTP server that keeps every e-mail as an .eml file (the demo's)")
    m.add_argument("--folder", default="var/mail", help="where each message is written")
    m.add_argument("--host", default="127.0.0.1")
    m.add_argument("--port", type=int, default=8025)
    m.set_defaults(func=mail_sink)
    t = sub.add_parser("token", help="a customer token signed with the configured HS256 secret (the demo's key)")
    t.add_argument("--customer", required=True, help="customer id, the token's `sub`")
    t.add_argument("--ttl-minutes", type=float, default=60.0, help="lifetime (default 60)")
    t.add_argument("--email", help="the customer's e-mail, as a verified `email` claim (what the backends' "
                                   "customer records are matched by)")
    t.add_argument("--config")
    t.set_defaults(func=token)
    k = sub.add_parser("keys", help="client API keys: create, list, revoke, rotate")
    k.set_defaults(func=keys)
    on_store = argparse.ArgumentParser(add_help=False)
    on_store.add_argument("--config")
    on_store.add_argument("--json", action="store_true", help="machine-readable output")
    common = argparse.ArgumentParser(add_help=False, parents=[on_store])
    common.add_argument("--actor", default=os.environ.get("USER", "cli"), help="recorded as who did it")
    actions = k.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="issue a key; its secret is shown once", parents=[common])
    create.add_argument("--name", required=True)
    create.add_argument("--kind", required=True, choices=["frontend", "mobile", "marketplace", "admin"])
    create.add_argument("--channel", help="bind the key to a channel (a marketplace key always is)")
    create.add_argument("--channels", metavar="A,B",
                        help="the channels an unbound key may check out at (default: WEB for frontend, "
                             "APP for mobile, all for admin)")
    create.add_argument("--scope", action="append", default=[], help="repeatable; default: the kind's scopes")
    create.add_argument("--expires-days", type=float)
    create.add_argument("--requests-per-minute", type=int, help="request budget (default: by kind)")
    create.add_argument("--cost-per-minute", type=int, help="cost-point budget (default: by kind)")
    create.add_argument("--documents", metavar="LIST",
                        help="trusted documents only: the key runs just the documents pushed to LIST")
    actions.add_parser("list", help="every key, without secrets", parents=[common])
    for name, text in (("revoke", "stop a key for good"), ("rotate", "a new secret for a key; the old one stops")):
        action = actions.add_parser(name, help=text, parents=[common])
        action.add_argument("key_id")
    docs = sub.add_parser("documents", help="trusted documents for keys created with --documents LIST")
    docs.set_defaults(func=documents)
    push = docs.add_subparsers(dest="action", required=True).add_parser(
        "push", help="store the documents of FILE and add them to a trusted list", parents=[on_store])
    push.add_argument("file", help="an Apollo persisted-query manifest, or a JSON object of sha256: document")
    push.add_argument("--list", required=True, help="the trusted-document list (a key's --documents)")
    push.add_argument("--replace", action="store_true", help="make FILE the whole list instead of adding to it")
    m = sub.add_parser("simulator", help="one backend simulator")
    m.add_argument("name", choices=sorted(SIMULATORS))
    m.add_argument("--host", default="127.0.0.1")
    m.add_argument("--port", type=int, required=True)
    m.add_argument("--size", type=size, default=DEFAULT_SIZE)
    m.add_argument("--seed", type=int, default=7)
    m.set_defaults(func=simulator)
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    stop_with_supervisor()
    raise SystemExit(args.func(args))


if __name__ == "__main__":
    main()
