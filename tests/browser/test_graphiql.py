"""GraphiQL in a real browser with no network beyond loopback: the page loads from the gateway alone,
a key typed into its headers pane runs a query, and the answer shows on the page, with no request
leaving loopback and no Content-Security-Policy violation. The screenshot stays in var/test-artifacts/."""

from __future__ import annotations

import base64
import json
import pathlib
from urllib.parse import urlsplit

import pytest

from resolvers import global_ids
from tests.browser.chromium import headless_page
from tests.conftest import GraphQLClient, served_gateway

pytestmark = pytest.mark.slow

ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
QUERY = "{ products(first: 2) { edges { node { sku title } } } }"
CART_CREATE = "mutation($input: CartInput!) { cartCreate(input: $input) { cart { id version } userErrors { code } } }"
# every securitypolicyviolation event the page sees, kept where the test can read it
WATCH_CSP = """window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
  e => window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI));"""
EDITOR = "document.querySelector('{}').CodeMirror"
QUERY_EDITOR = EDITOR.format(".graphiql-query-editor .CodeMirror")
HEADERS_EDITOR = EDITOR.format(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror")
RESULT = EDITOR.format(".result-window .CodeMirror")


def test_graphiql_runs_a_query_with_a_key_from_the_gateway_alone(gateway, api_key, gql):
    expected = gql(QUERY)
    with headless_page() as page:
        for domain in ("Network", "Runtime", "Log", "Page"):
            page.call(f"{domain}.enable")
        # the browser reaches nothing outside loopback: neither an address nor a name
        for probe in ("http://192.0.2.1/", "https://unpkg.com/"):
            assert page.evaluate(f"fetch('{probe}').then(() => 'reached', () => 'refused')") == "refused"
        failures = {e["errorText"] for e in page.named("Network.loadingFailed")}
        assert failures == {"net::ERR_PROXY_CONNECTION_FAILED"}, failures
        page.events.clear()
        page.call("Page.addScriptToEvaluateOnNewDocument", source=WATCH_CSP)
        page.call("Page.navigate", url=f"{gateway}/graphql")
        page.wait_for(f"!!document.querySelector('.graphiql-execute-button') && !!{HEADERS_EDITOR}", 15,
                      "GraphiQL to start (a blank page means its scripts did not load)")

        type_into(page, HEADERS_EDITOR, json.dumps({"X-API-Key": api_key}))
        type_into(page, QUERY_EDITOR, QUERY)
        click(page, ".graphiql-execute-button")
        shown = page.wait_for(f"(v => v.includes('\"data\"') && v)({RESULT}.getValue())", 15, "the answer")
        (ARTIFACTS / "graphiql.png").parent.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "graphiql.png").write_bytes(
            base64.b64decode(page.call("Page.captureScreenshot", format="png")["data"]))

        assert json.loads(shown)["data"] == expected["data"]
        assert page.evaluate(f"{HEADERS_EDITOR}.getValue()") == json.dumps({"X-API-Key": api_key})
        violations = page.evaluate("window.__cspViolations") + [
            e["entry"]["text"] for e in page.named("Log.entryAdded")
            if "Content Security Policy" in e["entry"]["text"]]
        assert violations == []
        assert page.named("Runtime.exceptionThrown") == []
        requests = [e["request"] for e in page.named("Network.requestWillBeSent")]
        outside = [r["url"] for r in requests if not r["url"].startswith(("data:", "about:"))
                   and urlsplit(r["url"]).hostname != "127.0.0.1"]
        assert outside == []
        origin = urlsplit(gateway)
        assert all(urlsplit(r["url"]).port == origin.port for r in requests if r["url"].startswith("http"))
        posted = [r for r in requests if r["method"] == "POST" and r["url"] == f"{gateway}/graphql"]
        assert posted and all(r["headers"].get("X-API-Key") == api_key for r in posted), \
            "a request went without the key (the page asks nothing before a key is given)"


def test_graphiql_runs_a_subscription_over_a_websocket_with_the_key_from_its_headers(simulators, mongo_url,
                                                                                   api_key, catalog):
    line = {"merchandiseId": global_ids.encode("Variant", catalog.products[2].variants[0].sku), "quantity": 1}
    with served_gateway(simulators, mongo_url, CGW_SUBSCRIPTIONS__ENABLED="true") as gateway:
        client = GraphQLClient(gateway, api_key)
        try:
            made = client(CART_CREATE, {"input": {"lines": [line]}})["data"]["cartCreate"]["cart"]
        finally:
            client.http.close()
        subscription = f'subscription {{ cartUpdated(cartId: "{made['id']}", knownVersion: 0) {{ id version }} }}'
        with headless_page() as page:
            for domain in ("Network", "Runtime", "Log", "Page"):
                page.call(f"{domain}.enable")
            page.call("Page.addScriptToEvaluateOnNewDocument", source=WATCH_CSP)
            page.call("Page.navigate", url=f"{gateway}/graphql")
            page.wait_for(f"!!document.querySelector('.graphiql-execute-button') && !!{HEADERS_EDITOR}", 15,
                          "GraphiQL to start")
            type_into(page, HEADERS_EDITOR, json.dumps({"X-API-Key": api_key}))
            type_into(page, QUERY_EDITOR, subscription)
            # GraphiQL tells a subscription by the document it parses after an edit (debounced)
            page.wait_for(f"({QUERY_EDITOR}.operations || []).some(o => o.operation === 'subscription')", 5,
                          "the edited document parsed")
            click(page, ".graphiql-execute-button")
            # the cart is past the version the subscription knew: it comes at once, over the socket
            shown = page.wait_for(f"(v => v.includes('cartUpdated') && v)({RESULT}.getValue())", 15,
                                  "the subscription's first event")
            assert json.loads(shown) == {"data": {"cartUpdated": {"id": made["id"], "version": made["version"]}}}
            sockets = [e["url"] for e in page.named("Network.webSocketCreated")]
            assert sockets == [gateway.replace("http://", "ws://") + "/graphql"]
            violations = page.evaluate("window.__cspViolations") + [
                e["entry"]["text"] for e in page.named("Log.entryAdded")
                if "Content Security Policy" in e["entry"]["text"]]
            assert violations == []
            click(page, ".graphiql-execute-button")  # stops the subscription


def type_into(page, editor: str, text: str) -> None:
    """Focuses a CodeMirror editor, selects what it holds and types `text` over it, as keyboard input."""
    page.evaluate(f"{editor}.focus(), {editor}.execCommand('selectAll')")
    page.call("Input.insertText", text=text)
    page.wait_for(f"{editor}.getValue() === {json.dumps(text)}", 5, f"{text!r} in the editor")


def click(page, selector: str) -> None:
    """A mouse click in the middle of the element."""
    box = page.evaluate(f"(r => [r.x + r.width / 2, r.y + r.height / 2])"
                        f"(document.querySelector('{selector}').getBoundingClientRect())")
    for kind in ("mousePressed", "mouseReleased"):
        page.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)
