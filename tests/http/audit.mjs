// Runs the graphql-http package's server audits against a URL and prints one JSON summary line.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
const summary = { ok: 0, warn: [], error: [] };
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  if (result.status === 'ok') summary.ok++;
  else summary[result.status === 'warn' ? 'warn' : 'error'].push(`${audit.name}: ${result.reason}`);
}
console.log(JSON.stringify(summary));
