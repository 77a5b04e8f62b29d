// HTTP requests sent from a chosen local source address: on Linux all of 127.0.0.0/8 is loopback, so
// one test process can be a hundred clients (127.0.0.2 … 127.0.0.101) to a server on 127.0.0.1. Every
// answer is held to the server's OpenAPI document, as the Client's are.
import { connect } from "node:net";
import { assertContract } from "./contract.ts";
import type { Reply } from "./server.ts";
import { unchunk } from "./raw-http.ts";

/** The loopback addresses 127.0.0.2 … 127.0.0.(n+1). */
export function loopbackAddresses(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `127.0.0.${i + 2}`);
}

/** POSTs JSON (the text of `json`; typed as JSON unless `headers` name another type) to `base` (an http://127.0.0.1:port URL) from the source address `from`. */
export function postFrom(from: string, base: string, path: string, json: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const url = new URL(path, base);
  const body = Buffer.from(JSON.stringify(json));
  const head = [
    `POST ${url.pathname} HTTP/1.1`,
    `Host: ${url.host}`,
    ...(Object.keys(headers).some((k) => k.toLowerCase() === "content-type") ? [] : ["Content-Type: application/json"]),
    `Content-Length: ${body.length}`,
    "Connection: close",
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ].join("\r\n");
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: url.hostname, port: Number(url.port), localAddress: from }, () => {
      socket.write(head + "\r\n\r\n");
      socket.write(body);
    });
    socket.on("data", (d) => chunks.push(d));
    socket.on("error", reject);
    socket.on("close", async () => {
      try {
        const text = Buffer.concat(chunks).toString("latin1");
        const split = text.indexOf("\r\n\r\n");
        const lines = text.slice(0, split).split("\r\n");
        const status = Number(lines[0].split(" ")[1]);
        const replyHeaders = new Headers();
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(":");
          if (colon > 0) replyHeaders.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
        }
        let payload = text.slice(split + 4);
        if (replyHeaders.get("transfer-encoding") === "chunked") payload = unchunk(payload);
        payload = Buffer.from(payload, "latin1").toString("utf8");
        await assertContract(base, undefined, "POST", path, status, replyHeaders, payload);
        resolve({ status, headers: replyHeaders, body: payload ? JSON.parse(payload) : undefined, text: payload });
      } catch (e) {
        reject(e);
      }
    });
  });
}
