// Starts GraphiQL against this origin's /graphql. The key goes in the headers editor; it is not
// stored, so a key typed here is forgotten when the tab closes.
(function () {
  "use strict";

  var url = new URL("/graphql", window.location.href);
  var subscriptionUrl = new URL(url);
  subscriptionUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";

  var fetcher = GraphiQL.createFetcher({
    url: url.toString(),
    // Subscriptions get the headers editor's content as their connection_init payload.
    subscriptionUrl: subscriptionUrl.toString(),
    enableIncrementalDelivery: false,
  });

  var defaultQuery = [
    "# Every request needs an API key: put it in the Headers tab below,",
    '# as {"Authorization": "Bearer <key>"}, then run with Ctrl-Enter.',
    "",
    "query Companies {",
    "  companies(first: 10) {",
    "    totalCount",
    "    nodes {",
    "      id",
    "      name",
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultHeaders: JSON.stringify({ Authorization: "Bearer <key>" }, null, 2),
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    })
  );
})();
