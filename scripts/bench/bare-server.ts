// The reference for scripts/bench/api.ts: a bare Bun.serve answering GET /api/keys with the same
// JSON body Argus returns, and nothing else (no auth, no database, no framework).
const body = await Bun.file(process.argv[2]).text();
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.argv[3] ?? 0),
  fetch: () => new Response(body, { headers: { "content-type": "application/json;charset=utf-8" } }),
});
console.log(server.port);
