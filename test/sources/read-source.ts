// Runs one source reader and prints what it returned, as one JSON line: {"observations": [...]} or
// {"error": {"reason", "detail"}}. Tests start it with `ip netns exec` so the reader's HTTP requests
// leave from a test namespace, never from this machine's own network.
//   bun test/sources/read-source.ts <module path> <export name> '<config JSON>'
import { SourceError } from "../../src/sources/types.ts";

const [modulePath, exportName, configJson] = process.argv.slice(2);
const source = (await import(modulePath))[exportName];
try {
  const observations = await source.read(JSON.parse(configJson), { signal: AbortSignal.timeout(30_000), now: new Date() });
  console.log(JSON.stringify({ observations }));
} catch (e) {
  if (!(e instanceof SourceError)) throw e;
  console.log(JSON.stringify({ error: { reason: e.reason, detail: e.detail } }));
}
