// Runs the graphql-http package's server audits against a URL and prints one JSON summary line.
import { serverAudits } from 'graphql-http';

const [url, apiKey] = process.argv.slice(2);
// every request carries the API key, as a real client's would
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('x-api-key', apiKey);
  return fetch(input, { ...init, headers });
};
const summary = { ok: 0, warn: [], error: [] };
for (const audit of serverAudits({ url, fetchFn })) {
  const result = await audit.fn();
  if (result.status === 'ok') summary.ok++;
  else summary[result.status === 'warn' ? 'warn' : 'error'].push(`${audit.name}: ${result.reason}`);
}
console.log(JSON.stringify(summary));
