// Feeds the gateway's answers into Apollo Client's normalized InMemoryCache, the way an app's
// cache would, and prints one JSON line: what the cache holds after a cart mutation, unrefetched.
import { InMemoryCache, gql } from '@apollo/client/core/index.js';

const [url, apiKey] = process.argv.slice(2);
let requests = 0;

async function call(query, variables = {}) {
  requests++;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ query, variables }),
  });
  const answer = await response.json();
  if (answer.errors) throw new Error(JSON.stringify(answer.errors));
  return answer.data;
}

const VARIANT = '__typename id sku stock { __typename quantity asOf }';
const CART_FIELDS = `__typename id version totalQuantity lines { __typename id quantity merchandise { ${VARIANT} } }`;
const LIST = `query List { products(first: 3) { __typename edges { __typename node {
  __typename id sku variants { ${VARIANT} } } } } }`;
const CART = `query Cart($id: ID!) { cart(id: $id) { ${CART_FIELDS} } }`;
const CREATE = `mutation Create($lines: [CartLineInput!]!) { cartCreate(input: {lines: $lines}) {
  __typename cart { ${CART_FIELDS} } } }`;
const ADD = `mutation Add($cart: ID!, $lines: [CartLineInput!]!) { cartLinesAdd(cartId: $cart, lines: $lines) {
  __typename cart { ${CART_FIELDS} } } }`;

const cache = new InMemoryCache();
const list = await call(LIST);
const [first, second] = list.products.edges.map((edge) => edge.node.variants[0]);
const created = await call(CREATE, { lines: [{ merchandiseId: first.id }] });
const cartId = created.cartCreate.cart.id;
const cart = await call(CART, { id: cartId });
cache.writeQuery({ query: gql(LIST), data: list });
cache.writeQuery({ query: gql(CART), variables: { id: cartId }, data: cart });

await new Promise((resolve) => setTimeout(resolve, 20)); // a later stock reading
const variables = { cart: cartId, lines: [{ merchandiseId: second.id, quantity: 2 }] };
const added = await call(ADD, variables);
// what a client does with a mutation's answer: it writes it; normalization does the rest
cache.write({ query: gql(ADD), variables, result: added, dataId: 'ROOT_MUTATION' });

const cachedCart = cache.readQuery({ query: gql(CART), variables: { id: cartId } }).cart;
const cachedList = cache.readQuery({ query: gql(LIST) });
const cachedSecond = cachedList.products.edges[1].node.variants[0];
const addedLine = added.cartLinesAdd.cart.lines.find((line) => line.merchandise.id === second.id);
console.log(JSON.stringify({
  requests,
  cart: { before: cart.cart.totalQuantity, cached: cachedCart.totalQuantity, version: cachedCart.version,
          skus: cachedCart.lines.map((line) => line.merchandise.sku) },
  list: { listedAsOf: second.stock.asOf, mutationAsOf: addedLine.merchandise.stock.asOf,
          cachedAsOf: cachedSecond.stock.asOf },
  entities: Object.keys(cache.extract()).filter((id) => id.startsWith('Cart:') || id.startsWith('Variant:')).length,
}));
