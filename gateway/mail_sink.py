"""A local SMTP sink for the demo and the tests (aiosmtpd): it takes every message, keeps it, and
writes each to a folder as an .eml file (the demo prints where); nothing is relayed anywhere."""

from __future__ import annotations

import email
import email.policy
import threading
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class MailSink:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)  # there from the start: the demo prints where to look
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        raw = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
            count = len(self.messages)
        if self.folder is not None:
            (self.folder / f"{count:05d}.eml").write_bytes(raw)
        return "250 Message accepted for delivery"


def start_sink(host: str = "127.0.0.1", port: int = 0, folder: Path | None = None) -> tuple[Controller, MailSink]:
    """A running sink on `host:port` (0: a free port; `controller.port` says which), in its own thread."""
    sink = MailSink(folder)
    controller = Controller(sink, hostname=host, port=port or _free_port(host))
    controller.start()
    return controller, sink


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
