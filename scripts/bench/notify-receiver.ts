// A webhook receiver for scripts/bench/notify.ts, run as its own process: answers 200 at once and
// prints one JSON line per message ({at, ids}) with the time it arrived and the change ids it carried.
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const body = JSON.parse(await req.text());
    const at = Date.now();
    const ids = body.event === "change" ? [body.change.id] : body.event === "digest" ? body.changes.map((c: any) => c.change.id) : [];
    process.stdout.write(JSON.stringify({ at, ids }) + "\n");
    return new Response("ok");
  },
});
process.stdout.write(JSON.stringify({ port: server.port }) + "\n");
