// Starts GraphiQL with the explorer plugin on this page, asking the GraphQL endpoint the page came from.
// It is a file of its own, not inline, so that the page's Content-Security-Policy allows scripts from the
// gateway only. Headers (the API key) are kept for the tab's life only, never in localStorage. Queries and
// mutations go over HTTP, subscriptions over a WebSocket to the same address.
(function () {
  "use strict";

  var EXAMPLE = [
    "# Commerce Gateway: add your API key under Headers, as",
    '#   {"X-API-Key": "cgw_…"}',
    "# then re-fetch the schema (the circling arrow, bottom left) for the docs and the explorer,",
    "# and run the query with Ctrl-Enter (or the play button).",
    "",
    "{",
    "  products(first: 3) {",
    "    edges { node { sku title priceRange { minVariantPrice { amount currencyCode } } } }",
    "  }",
    "}",
    "",
  ].join("\n");

  // subscriptions go over a WebSocket to the same endpoint (graphql-transport-ws); the headers pane's
  // values (the API key, a customer token) travel in its connection_init payload
  var socketUrl = (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host +
    window.location.pathname;
  var gatewayFetcher = GraphiQL.createFetcher({ url: window.location.pathname, subscriptionUrl: socketUrl });
  var NO_KEY = { errors: [{ message: 'No API key: add {"X-API-Key": "cgw_…"} under Headers, then re-fetch ' +
    "the schema (the circling arrow, bottom left) or run the operation again." }] };

  // nothing is sent without a key: the gateway would only answer 401 (the schema is read once one is given)
  function fetcher(params, options) {
    var headers = (options && options.headers) || {};
    var keyed = Object.keys(headers).some(function (name) {
      return name.toLowerCase() === "x-api-key" && headers[name];
    });
    return keyed ? gatewayFetcher(params, options) : Promise.resolve(NO_KEY);
  }
  var explorer = GraphiQLPluginExplorer.explorerPlugin();

  function Page() {
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      defaultQuery: EXAMPLE,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(Page));
})();
