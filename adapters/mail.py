"""Reminder e-mails over SMTP (aiosmtplib): a plain-text and an HTML part, the product's text
escaped in the HTML, a one-click unsubscribe (RFC 8058 headers and a link in the body), and a
Message-ID made of the event id, so a mail system that sees one twice can tell."""

from __future__ import annotations

import html
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from domain.errors import BackendUnavailable
from domain.reminders import Alert, AlertKind

NAME = "smtp"
SUBJECTS = {AlertKind.BACK_IN_STOCK: "Back in stock: {title}", AlertKind.LOW_STOCK: "Only {after} left: {title}",
            AlertKind.PRICE_DROP: "Price drop: {title}", AlertKind.CART_REMINDER: "Your cart is waiting: {title}"}


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    sender: str                   # the From address
    tls: str = "none"             # none, starttls, or tls (implicit TLS, usually port 465)
    username: str = ""
    password: str = ""            # never logged, never in an error
    timeout_seconds: float = 10.0


class SmtpMailer:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def send(self, to: str, alert: Alert, unsubscribe_url: str) -> None:
        s = self.server
        try:
            await aiosmtplib.send(compose(s.sender, to, alert, unsubscribe_url), hostname=s.host, port=s.port,
                                  username=s.username or None, password=s.password or None,
                                  use_tls=s.tls == "tls", start_tls=True if s.tls == "starttls" else False,
                                  timeout=s.timeout_seconds)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise BackendUnavailable(NAME, f"{s.host}:{s.port} did not take the message ({type(exc).__name__}: "
                                           f"{_first_line(exc)})") from exc


def compose(sender: str, to: str, alert: Alert, unsubscribe_url: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = sender, to
    message["Subject"] = _one_line(SUBJECTS[alert.kind].format(title=alert.title, after=alert.after))
    message["Date"] = formatdate(alert.created_at.timestamp(), usegmt=True)
    message["Message-ID"] = f"<{alert.event_id}@{sender.rpartition('@')[2] or 'commerce-gateway'}>"
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(f"{alert.message}\n\nSee it: {alert.link}\n\n"
                        f"You saved this item. To stop these e-mails: {unsubscribe_url}\n")
    message.add_alternative(
        f"<!doctype html><html><body><p>{html.escape(alert.message)}</p>"
        f'<p><a href="{html.escape(alert.link)}">See it</a></p>'
        f'<p style="font-size:small">You saved this item. <a href="{html.escape(unsubscribe_url)}">'
        f"Stop these e-mails</a></p></body></html>\n", subtype="html")
    return message


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [""])[0][:200]
