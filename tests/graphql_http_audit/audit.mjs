// Runs the graphql-http server audit (GraphQL-over-HTTP specification conformance) against a
// running server and prints the results as JSON on stdout.
//
//   HIREGRAPH_API_KEY=hg_... node audit.mjs http://127.0.0.1:8000/graphql
//
// Every request the audit makes carries `Authorization: Bearer $HIREGRAPH_API_KEY`. The output
// is a JSON array of {id, name, status, reason?, response?}; status is ok | notice | warn | error.
// The exit code is 0 whenever the audit ran (the caller judges the results), 2 on bad usage.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const key = process.env.HIREGRAPH_API_KEY;
if (!url || !key) {
  process.stderr.write('usage: HIREGRAPH_API_KEY=<key> node audit.mjs <graphql url>\n');
  process.exit(2);
}

function fetchFn(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${key}`);
  return fetch(input, { ...init, headers });
}

async function describe(response) {
  // The audit may have read the body already; report what can still be read.
  if (!response) return undefined;
  const out = { status: response.status, contentType: response.headers.get('content-type') };
  try {
    const text = await response.clone().text();
    out.body = text.length > 500 ? `${text.slice(0, 500)}…` : text;
  } catch {
    // body already consumed
  }
  return out;
}

const results = await auditServer({ url, fetchFn });
const report = [];
for (const result of results) {
  const entry = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    entry.reason = result.reason;
    entry.response = await describe(result.response);
  }
  report.push(entry);
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
