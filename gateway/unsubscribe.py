"""`/alerts/unsubscribe?token=…`: the one-click unsubscribe of every reminder e-mail. A POST
unsubscribes (what a mail client sends for RFC 8058's `List-Unsubscribe-Post`, and what the page's
button sends); a GET only shows that button, since mail scanners open every link they find."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from resolvers.reminders.customer import unsubscribe
from resolvers.reminders.services import ReminderServices

REMINDERS = "reminder_services"  # the lifespan state's name for them
PAGE = ("<!doctype html><html><head><meta charset=utf-8><title>{title}</title></head>"
        "<body><p>{text}</p>{form}</body></html>")


async def unsubscribe_route(request: Request) -> Response:
    reminders: ReminderServices | None = getattr(request.state, REMINDERS, None)
    token = request.query_params.get("token", "")
    if reminders is None or reminders.customer_of_token(token) is None:
        return _page("Link not valid", "This unsubscribe link is not valid.", status=400)
    if request.method == "GET":
        form = (f'<form method="post" action="?token={html.escape(token)}">'
                '<button type="submit">Stop reminder e-mails</button></form>')
        return _page("Unsubscribe", "Stop the e-mails about items you saved and carts you left?", form)
    await unsubscribe(reminders, token, request.state.clock())
    return _page("Unsubscribed", "You will get no more reminder e-mails. In-app notifications stay in your "
                                 "account, where you can turn them off too.")


def _page(title: str, text: str, form: str = "", status: int = 200) -> Response:
    return HTMLResponse(PAGE.format(title=title, text=text, form=form), status_code=status,
                        headers={"Cache-Control": "no-store"})
