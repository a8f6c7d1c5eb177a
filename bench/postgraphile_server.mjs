// PostGraphile 5 for the benchmark (bench/postgraphile.py copies this file next to its node_modules).
//
// The amber preset as shipped (no simplify-inflection, no row-level security, no JWT): the whole
// `public` schema over one node-postgres pool of POSTGRAPHILE_POOL_SIZE connections. Served with
// grafserv on node:http, plus GET /healthz. Every response carries X-SQL-Statements: the number of
// queries PostGraphile sent to PostgreSQL for that request (counted on the pool's clients, per
// request through AsyncLocalStorage), so the bench reports SQL/req the way Hiregraph does.
//
// Env: DATABASE_URL (node-postgres, e.g. postgres://postgres@/hiregraph?host=/socket/dir), HOST, PORT,
// POSTGRAPHILE_POOL_SIZE (10).

import { AsyncLocalStorage } from "node:async_hooks";
import { createServer } from "node:http";

import pg from "pg";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? "5678");
const poolSize = Number(process.env.POSTGRAPHILE_POOL_SIZE ?? "10");

const perRequest = new AsyncLocalStorage();
let totalStatements = 0;

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: poolSize, min: 0 });
pool.on("error", (err) => console.error("pg pool error", err));
pool.on("connect", (client) => {
  const query = client.query;
  client.query = function countedQuery(config, ...rest) {
    const text = typeof config === "string" ? config : config?.text ?? "";
    // A per-connection setup statement of @dataplan/pg (once per new connection), not the request's.
    if (!text.startsWith("set jit_optimize_above_cost")) {
      totalStatements += 1;
      const counter = perRequest.getStore();
      if (counter) counter.statements += 1;
    }
    return query.call(this, config, ...rest);
  };
});

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ pool, schemas: ["public"] })],
  grafserv: { graphiql: false, watch: false, maxRequestLength: 1_000_000 },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const handler = serv.createHandler();

const server = createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
    return;
  }
  if (req.url === "/bench-stats") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ statements: totalStatements }));
    return;
  }
  const counter = { statements: 0 };
  const writeHead = res.writeHead;
  res.writeHead = function writeHeadWithCount(status, ...rest) {
    // grafserv answers a query once it has run, so the count is complete here.
    this.setHeader("x-sql-statements", String(counter.statements));
    return writeHead.call(this, status, ...rest);
  };
  perRequest.run(counter, () => handler(req, res));
});

// Build the schema before saying we are ready: /healthz answers only once the server listens.
await pgl.getSchemaResult();
server.listen(port, host, () => {
  console.log(`postgraphile ${host}:${port} pool ${poolSize} node ${process.version}`);
});

async function shutdown() {
  server.close();
  await pgl.release().catch(() => {});
  await pool.end().catch(() => {});
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
